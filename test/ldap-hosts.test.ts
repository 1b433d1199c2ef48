// Directory logins through the hosts: the `custody` command (directory set/show/test, login, whoami) and web mode
// over HTTP (the DeskApi login that Electron's IPC uses too), against a real slapd. An editor logs in with their
// directory password and gets exactly the roles their groups map to.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../cli/web.ts';
import { createDeskHandlers } from '../core/api/handlers.ts';
import { SERVICE_DN, SERVICE_PW, Slapd, groupDn, loadNewsroom, newsroomConfig, slapdMissing } from './helpers/slapd.ts';
import { freshDesk, runCli, tempDir } from './helpers/cli.ts';
import { webBrowser } from './helpers/web-browser.ts';
import { protector, testDesk, type TestDesk } from './helpers/workflow-desk.ts';

let slapd: Slapd;

// StartTLS on ldap://, and the OpenLDAP filter of the README.
const config = () => newsroomConfig(slapd, { url: slapd.ldapUrl, userFilter: '(uid={user})' });

describe.skipIf(slapdMissing !== null)('directory logins in the CLI and web mode (real slapd)', () => {
  beforeAll(async () => {
    slapd = await Slapd.start();
    await loadNewsroom(slapd);
  });
  afterAll(async () => {
    await slapd?.close();
  });

  it('CLI: an admin sets the directory from a file; an editor logs in with their directory password', async () => {
    const env = await freshDesk('Directory Desk', { name: 'ada', password: 'ada-tidal-lantern-42' });
    const file = join(tempDir(), 'directory.json');
    writeFileSync(file, JSON.stringify({ ...config(), bindPassword: SERVICE_PW }));
    const set = await runCli(['directory', 'set', file, '--json'], env);
    expect(set.stderr).toBe('');
    expect(JSON.parse(set.stdout)).toMatchObject({ bindPasswordSet: true, config: { url: slapd.ldapUrl, offlineDays: 7 } });
    expect(set.stdout).not.toContain(SERVICE_PW);

    // The editor: no CUSTODY_USER, their own password; the vault passphrase opens the service password.
    const editor = { ...env, CUSTODY_USER: '', CUSTODY_PASSWORD: 'alice-pw' };
    const login = await runCli(['login', 'alice', '--json'], editor);
    expect(login.stderr).toBe('');
    expect(JSON.parse(login.stdout)).toMatchObject({ user: 'alice', roles: ['editor'] });
    const who = await runCli(['whoami', '--json'], { ...editor, CUSTODY_PASSWORD: '' });
    expect(JSON.parse(who.stdout)).toMatchObject({ user: 'alice', roles: ['editor'], via: 'session' });

    // Scripts: CUSTODY_USER names a directory user too.
    const chief = await runCli(['whoami', '--json'], { ...env, CUSTODY_USER: 'carol', CUSTODY_PASSWORD: 'carol-pw' });
    expect(JSON.parse(chief.stdout)).toMatchObject({ user: 'carol', roles: ['editor', 'chief'], via: 'environment' });
  }, 240_000); // five runs of the command, each a fresh Node process

  describe('web mode and the DeskApi', () => {
    let t: TestDesk;
    let web: WebServer;

    beforeAll(async () => {
      t = await testDesk();
      const api = createDeskHandlers(t.desk);
      await api.login({ name: 'ada', password: 'ada-tidal-lantern-42' });
      await api.directorySet({ config: config(), bindPassword: SERVICE_PW });
      t.desk.close();
      // Served like `custody web`: the desk opens locked.
      const desk = await t.reopen();
      const rendererDir = tempDir();
      writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Custody</title>');
      web = await startWebServer(desk, { rendererDir });
    });
    afterAll(async () => {
      await web?.close();
      web?.host.desk.close();
    });

    const browser = () => webBrowser(web);

    it('logs an editor in with their directory password once the keys are unlocked, with exactly the mapped roles', async () => {
      const b = browser();
      expect((await b('info')).body.result).toMatchObject({ users: true, directory: true, unlocked: false });
      // The service password is in the vault: a directory login waits for the keys (local users do not).
      expect(await b('login', { name: 'alice', password: 'alice-pw' })).toMatchObject({ status: 422, body: { error: { code: 'KEY_LOCKED' } } });
      expect((await b('unlock', { passphrase: 'test passphrase' })).body.ok).toBe(true);
      const login = await b('login', { name: 'alice', password: 'alice-pw' });
      expect(login).toMatchObject({ status: 200, body: { result: { user: { name: 'alice', roles: ['editor'] } } } });
      expect((await b('whoami')).body.result.user).toEqual({ name: 'alice', roles: ['editor'] });
      // An editor is not an admin: the directory settings stay closed.
      expect(await b('directory')).toMatchObject({ status: 403, body: { error: { code: 'NOT_PERMITTED' } } });
      expect((await browser()('login', { name: 'alice', password: 'wrong' })).status).toBe(401);
    });

    it('gives an admin the configuration without the service password, and a test of a login', async () => {
      const b = browser();
      expect((await b('login', { name: 'dave', password: 'dave-pw' })).body.result.user.roles).toEqual(['admin', 'legal']);
      const status = await b('directory');
      expect(status.body.result).toMatchObject({ bindPasswordSet: true, config: { bindDn: SERVICE_DN } });
      expect(JSON.stringify(status.body)).not.toContain(SERVICE_PW);
      const tested = await b('directoryTest', { user: 'carol', password: 'carol-pw' });
      expect(tested.body.result).toMatchObject({ ok: true, outcome: { kind: 'ok', groups: [groupDn('chiefs')] } });
      const bad = await b('directorySet', { config: { ...config(), userFilter: '(uid=alice)' } });
      expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
      expect(bad.body.error?.message).toMatch(/userFilter: expected the user filter to contain \{user\}/);
      const users = (await b('users')).body.result as { name: string; source: string }[];
      expect(users.map((u) => `${u.name}:${u.source}`)).toEqual(['ada:local', 'alice:ldap', 'dave:ldap']);
    });
  });

  it('answers DIRECTORY_UNREACHABLE over the DeskApi for someone never seen, while the directory is down', async () => {
    const t = await testDesk();
    const api = createDeskHandlers(t.desk);
    await api.login({ name: 'ada', password: 'ada-tidal-lantern-42' });
    await api.directorySet({ config: config(), bindPassword: SERVICE_PW });
    await t.desk.unlock(protector());
    await slapd.stop();
    try {
      await expect(createDeskHandlers(t.desk).login({ name: 'carol', password: 'carol-pw' })).rejects.toMatchObject({ code: 'DIRECTORY_UNREACHABLE' });
    } finally {
      await slapd.resume();
      t.desk.close();
    }
  });
});
