// The CLI's authorization is the DeskApi's: on a desk with users, `custody cert trust`, `settings set hybrid-pq`
// and `cert import` need an admin (before, the first needed nothing at all and the other two only the vault
// passphrase). Run through the real `custody` command against a throw-away desk.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshDesk, runCli, tempDir } from './helpers/cli.ts';

const ADMIN = { name: 'ada', password: 'Quartz-lantern-93-harbour' };
const EDITOR = { name: 'erin', password: 'Velvet-compass-28-orchard' };

describe('the CLI asks the authorization policy', () => {
  let admin: Record<string, string | undefined>;
  let editor: Record<string, string | undefined>;
  let anonymous: Record<string, string | undefined>;
  let pem: string;

  beforeAll(async () => {
    admin = await freshDesk('Test Newsroom', ADMIN);
    const added = await runCli(['users', 'add', EDITOR.name, '--roles', 'editor', '--password-stdin'], admin, `${EDITOR.password}\n`);
    expect(added.stderr).toBe('');
    editor = { ...admin, CUSTODY_USER: EDITOR.name, CUSTODY_PASSWORD: EDITOR.password };
    // The vault passphrase alone, no user: what `custody cert trust` used to need (and not even that).
    anonymous = { ...admin, CUSTODY_USER: undefined, CUSTODY_PASSWORD: undefined };
    const root = await runCli(['cert', 'export'], admin);
    expect(root.code).toBe(0);
    pem = join(tempDir(), 'root.pem');
    writeFileSync(pem, root.stdout);
  }, 300_000);

  async function auditActions(): Promise<string[]> {
    const r = await runCli(['audit', 'export', '--format', 'jsonl'], admin);
    return r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action);
  }

  it('refuses `cert trust`, `settings set hybrid-pq` and `cert import` to no one and to an editor, and changes nothing', async () => {
    const before = await auditActions();
    for (const args of [['cert', 'trust', pem], ['settings', 'set', 'hybrid-pq', 'on'], ['cert', 'import', '--chain', pem, '--key', pem]]) {
      const nobody = await runCli(args, anonymous);
      expect(nobody.code, args.join(' ')).toBe(2);
      expect(nobody.stderr).toMatch(/^error NOT_AUTHENTICATED: expected a logged-in user to /);
      const byEditor = await runCli(args, editor);
      expect(byEditor.code, args.join(' ')).toBe(2);
      expect(byEditor.stderr).toMatch(/^error NOT_PERMITTED: expected an admin to .*, got erin with roles editor/);
    }
    // Only this test's second export joined the log: no settings, certificates or trust anchors.
    expect((await auditActions()).slice(before.length)).toEqual(['audit.exported']);
  }, 600_000);

  it('lets an admin do the same', async () => {
    const r = await runCli(['cert', 'trust', pem], admin);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('trusted 1 more certificate(s)\n');
    const s = await runCli(['settings', 'set', 'hybrid-pq', 'on'], admin);
    expect(s.stdout).toBe('hybrid-pq: on\n');
    expect((await auditActions()).slice(-3)).toEqual(['settings.trust_anchors_added', 'settings.changed', 'audit.exported']);
  }, 300_000);

  it('trusts an already trusted root as a no-op: exit 0, says so, no second audit entry', async () => {
    const before = await auditActions();
    const r = await runCli(['cert', 'trust', pem], admin);
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: 'already trusted: 1 certificate(s); nothing changed\n' });
    expect((await auditActions()).slice(before.length)).toEqual(['audit.exported']);
  }, 300_000);

  it('logs in with the password on stdin (custody login --password-stdin), and refuses a wrong one', async () => {
    const env = anonymous;
    const bad = await runCli(['login', EDITOR.name, '--password-stdin'], env, 'not-her-password-42\n');
    expect(bad.code).toBe(2);
    const ok = await runCli(['login', EDITOR.name, '--password-stdin', '--json'], env, `${EDITOR.password}\n`);
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toMatchObject({ user: EDITOR.name, roles: ['editor'] });
    const who = await runCli(['whoami', '--json'], env);
    expect(JSON.parse(who.stdout)).toMatchObject({ user: EDITOR.name });
    await runCli(['logout'], env);
  }, 300_000);

  it('needs a user on a desk with users for reads too, as the DeskApi does', async () => {
    for (const args of [['items'], ['settings', 'get']]) {
      const r = await runCli(args, anonymous);
      expect(r.stderr, args.join(' ')).toMatch(/^error NOT_AUTHENTICATED/);
    }
    expect((await runCli(['items'], editor)).code).toBe(0);
  }, 300_000);

  it('adds and removes a watched folder through the DeskApi: its rule, the allowed roots, its audit entry and owner', async () => {
    const root = tempDir('custody-roots-');
    const inDir = join(root, 'in');
    const outDir = join(root, 'out');
    mkdirSync(inDir);
    // Outside the allowed roots (none yet), and inside the desk's own home: refused before anything is stored.
    const outside = await runCli(['watch-folders', 'add', inDir, '--out', outDir], editor);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/^error PATH_NOT_ALLOWED: /);
    expect((await runCli(['settings', 'set', 'allowed-roots', root], admin)).code).toBe(0);
    const home = await runCli(['watch-folders', 'add', join(admin.CUSTODY_HOME!, 'signed'), '--out', outDir], editor);
    expect(home.stderr).toMatch(/^error PATH_NOT_ALLOWED: /);
    const viewer = await runCli(['watch-folders', 'add', inDir, '--out', outDir], anonymous);
    expect(viewer.stderr).toMatch(/^error NOT_AUTHENTICATED: /);
    const bad = await runCli(['watch-folders', 'add', inDir, '--out', outDir, '--classification', 'top-secret'], editor);
    expect(bad.stderr).toMatch(/^error INVALID_ARGUMENT: /);

    const added = await runCli(['watch-folders', 'add', inDir, '--out', outDir, '--classification', 'internal', '--json'], editor);
    expect(added.stderr).toBe('');
    const f = JSON.parse(added.stdout) as { id: string; createdBy: string; classification: string; status: string };
    // The editor owns it (four-eyes counts its submissions as theirs), and it is stored, not started.
    expect(f).toMatchObject({ createdBy: 'erin', classification: 'internal', status: 'stopped' });
    const log = (await runCli(['audit', 'export', '--format', 'jsonl'], admin)).stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; actor: string; subject: string });
    expect(log.filter((e) => e.action === 'watch.folder_added').at(-1)).toMatchObject({ actor: 'erin', subject: f.id });

    const removed = await runCli(['watch-folders', 'remove', inDir], editor);
    expect(removed.stdout).toBe(`removed ${f.id}: ${inDir}\n`);
    const log2 = (await runCli(['audit', 'export', '--format', 'jsonl'], admin)).stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; actor: string; subject: string });
    expect(log2.filter((e) => e.action === 'watch.folder_removed').at(-1)).toMatchObject({ actor: 'erin', subject: f.id });
  }, 300_000);

  it('records who adds a folder with `custody watch IN --out OUT`, and who changes how it submits', async () => {
    // A folder signs and submits as whoever configured it. Before, `custody watch` stored it, and changed its
    // classification for everything it would submit next, without a word in the audit log.
    const root = tempDir('custody-watch-cli-');
    const inDir = join(root, 'in');
    mkdirSync(inDir);
    expect((await runCli(['settings', 'set', 'allowed-roots', root], admin)).code).toBe(0);
    const added = await runCli(['watch', inDir, '--out', join(root, 'out'), '--once', '--classification', 'confidential', '--flag', 'personal-data'], editor);
    expect(added.code, added.stderr).toBe(0);
    const changed = await runCli(['watch', inDir, '--once', '--classification', 'public'], admin);
    expect(changed.code, changed.stderr).toBe(0);
    const log = (await runCli(['audit', 'export', '--format', 'jsonl'], admin)).stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; actor: string; subject: string; details: Record<string, unknown> });
    const add = log.filter((e) => e.action === 'watch.folder_added').at(-1)!;
    expect(add).toMatchObject({ actor: 'erin', details: { path: expect.stringMatching(/in$/), classification: 'confidential', flags: ['personal-data'] } });
    expect(log.filter((e) => e.action === 'watch.folder_changed' && e.subject === add.subject)).toEqual([
      expect.objectContaining({ actor: 'ada', details: { owner: 'erin', from: { classification: 'confidential' }, to: { classification: 'public' } } }),
    ]);
  }, 300_000);
});
