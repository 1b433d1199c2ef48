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
import { SERVICE_PW, Slapd, groupDn, loadNewsroom, newsroomConfig, slapdMissing, userDn } from './helpers/slapd.ts';
import { Attribute, Change } from 'ldapts';

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

  it("ends a directory admin's sessions once the directory no longer maps them to admin, and not on a wrong password (found in review)", async () => {
    const r = await login('dave', 'dave-pw');
    const token = r.body.token as string;
    // someone types a wrong password for dave: his session goes on (else anyone could end an admin's sessions)
    expect((await login('dave', 'wrong')).status).toBe(401);
    expect((await call(hub.url, 'GET', '/v1/tenants', { token })).status).toBe(200);
    // (a groupOfNames keeps a member: gina takes dave's place)
    const member = (operation: 'add' | 'delete', uid: string) => new Change({ operation, modification: new Attribute({ type: 'member', values: [userDn(uid)] }) });
    await slapd.admin((c) => c.modify(groupDn('custody-admins'), [member('add', 'gina'), member('delete', 'dave')]));
    try {
      // his next login is refused, and the session he held is over
      expect(await login('dave', 'dave-pw')).toMatchObject({ status: 403, body: { code: 'NOT_PERMITTED' } });
      expect((await call(hub.url, 'GET', '/v1/tenants', { token })).status).toBe(401);
    } finally {
      await slapd.admin((c) => c.modify(groupDn('custody-admins'), [member('add', 'dave'), member('delete', 'gina')]));
    }
    expect((await login('dave', 'dave-pw')).status).toBe(200);
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
