// The hub's admin login through the newsroom's directory (the same core/directory module as the desks), against a
// real slapd: an admin by group gets a session, an editor does not, a local hub admin still logs in locally, and a
// directory that went away answers DIRECTORY_UNREACHABLE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLdapConfig } from '../core/directory/ldap-config.ts';
import { LdapSource } from '../core/directory/ldap-source.ts';
import { initHub, startHub, type RunningHub } from '../server/serve.ts';
import { adminLogin } from '../server/tenants/tenants.ts';
import { tempDir } from './helpers/cli.ts';
import { call } from './helpers/hub-desk.ts';
import { SERVICE_PW, Slapd, loadNewsroom, newsroomConfig, slapdMissing } from './helpers/slapd.ts';

let slapd: Slapd;
let hub: RunningHub;
const ROOT_PASSWORD = 'a local hub admin passphrase';

describe.skipIf(slapdMissing !== null)('hub admin login with the directory (real slapd)', () => {
  beforeAll(async () => {
    slapd = await Slapd.start();
    await loadNewsroom(slapd);
    const dir = tempDir('custody-hub-');
    await initHub({ dataDir: dir }, { org: 'Daily Planet', admin: { name: 'root', password: ROOT_PASSWORD }, scrypt: { N: 1 << 10, r: 8, p: 1 } });
    const config = parseLdapConfig(newsroomConfig(slapd, { userFilter: '(uid={user})' }));
    hub = await startHub({ dataDir: dir }, { directory: new LdapSource(config, SERVICE_PW), rateLimits: { perAddress: 10_000 } });
  });
  afterAll(async () => {
    await hub?.close();
    await slapd?.close();
  });

  const login = (name: string, password: string) => call(hub.url, 'POST', '/v1/admin/login', { json: { name, password } });

  it('lets in someone whose groups map to admin, with a session that manages the hub', async () => {
    const r = await login('Dave', 'dave-pw');
    expect(r.status).toBe(200);
    const tenants = await call(hub.url, 'GET', '/v1/tenants', { token: r.body.token as string });
    expect(tenants.status).toBe(200);
  });

  it('refuses an editor (403), and a wrong password, an unknown name or an injection alike (401)', async () => {
    expect(await login('alice', 'alice-pw')).toMatchObject({ status: 403, body: { code: 'NOT_PERMITTED' } });
    const answers = await Promise.all([login('dave', 'wrong'), login('nobody', 'x'), login('*)(uid=*', 'dave-pw'), login('dav*', 'dave-pw')]);
    expect(answers.map((a) => `${a.status} ${a.body.code as string} ${a.body.message as string}`)).toEqual(
      Array(4).fill('401 NOT_AUTHENTICATED expected a hub admin name and password, got ones that do not match'),
    );
  });

  it('keeps local hub admins local, and says when the directory cannot be reached', async () => {
    expect((await login('root', ROOT_PASSWORD)).status).toBe(200);
    await slapd.stop();
    try {
      expect((await login('root', ROOT_PASSWORD)).status).toBe(200);
      expect(await login('dave', 'dave-pw')).toMatchObject({ status: 503, body: { code: 'DIRECTORY_UNREACHABLE' } });
    } finally {
      await slapd.resume();
    }
    // A directory admin's row holds no password: a hub without the directory lets no one in with it.
    for (const pw of ['directory', 'dave-pw', '']) {
      await expect(adminLogin(hub.hub.db, 'dave', pw, new Date(), null)).rejects.toMatchObject({ code: 'NOT_AUTHENTICATED' });
    }
  });
});
