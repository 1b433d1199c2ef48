// Directory logins against a real OpenLDAP slapd (test/helpers/slapd.ts): TLS and its pin, the service account,
// nested groups mapped to roles, a locked and a deleted account, a group change between logins, filter injection,
// the empty password, and the server going away (the offline cache, and what it must not allow).
import { createServer, type Server } from 'node:net';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries } from '../core/audit/log.ts';
import type { Desk } from '../core/desk.ts';
import { parseLdapConfig, type LdapConfigInput } from '../core/directory/ldap-config.ts';
import { LdapSource } from '../core/directory/ldap-source.ts';
import { getUser } from '../core/directory/users.ts';
import { isCustodyError } from '../core/errors.ts';
import { GROUPS, NEWSROOM_ROLES, PEOPLE, SERVICE_PW, Slapd, freePort, groupDn, loadNewsroom, makePki, newsroomConfig, slapdMissing, userDn } from './helpers/slapd.ts';
import { fakeSignedItem, testDesk, type TestDesk } from './helpers/workflow-desk.ts';

if (slapdMissing) console.warn(`ldap.test.ts skipped: ${slapdMissing}`);

let slapd: Slapd;

const ROLE_MAP = () => [...NEWSROOM_ROLES];
const configOf = (over: Partial<LdapConfigInput> = {}): LdapConfigInput => newsroomConfig(slapd, over);

const source = (over: Partial<LdapConfigInput> = {}, pw = SERVICE_PW) => new LdapSource(parseLdapConfig(configOf(over)), pw);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    if (isCustodyError(e)) return e.code;
    throw e;
  }
}

async function directoryDesk(over: Partial<LdapConfigInput> = {}): Promise<TestDesk> {
  const t = await testDesk();
  t.desk.ldap.set(t.admin, configOf(over), SERVICE_PW);
  return t;
}

const change = (operation: 'add' | 'delete', type: string, values: string[]) => new Change({ operation, modification: new Attribute({ type, values }) });

const entries = (desk: Desk, action: string) => [...auditEntries(desk.store)].filter((e) => e.action === action);

describe.skipIf(slapdMissing !== null)('LDAP directory (real slapd)', () => {
  beforeAll(async () => {
    slapd = await Slapd.start();
    await loadNewsroom(slapd);
  });
  afterAll(async () => {
    await slapd?.close();
  });

  describe('connection, TLS pin and service account', () => {
    it('connects over LDAPS and over StartTLS when the server is signed by the pinned CA', async () => {
      await source().check();
      await source({ url: slapd.ldapUrl }).check();
    });

    it('refuses a server signed by another CA (DIRECTORY_TLS), over LDAPS and StartTLS alike', async () => {
      const other = makePki(`${slapd.dir}/other-pki`, 'other');
      expect(await codeOf(source({ caPem: other.caPem }).check())).toBe('DIRECTORY_TLS');
      expect(await codeOf(source({ url: slapd.ldapUrl, caPem: other.caPem }).check())).toBe('DIRECTORY_TLS');
      // Without a pin, the system roots do not know the test CA either.
      expect(await codeOf(source({ caPem: null }).check())).toBe('DIRECTORY_TLS');
    });

    it('says the service account was refused (DIRECTORY_SERVICE_BIND), apart from user errors', async () => {
      expect(await codeOf(source({}, 'not-the-password').check())).toBe('DIRECTORY_SERVICE_BIND');
      expect(await codeOf(source({}, 'not-the-password').authenticate('alice', 'alice-pw'))).toBe('DIRECTORY_SERVICE_BIND');
      expect(await codeOf(source({ bindDn: `cn=nobody,${PEOPLE}` }).check())).toBe('DIRECTORY_SERVICE_BIND');
    });

    it('says the directory is unreachable: nothing listening, or a server that never answers', async () => {
      const port = await freePort();
      expect(await codeOf(source({ url: `ldaps://127.0.0.1:${port}` }).check())).toBe('DIRECTORY_UNREACHABLE');
      const silent: Server = createServer(() => undefined);
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      try {
        const started = Date.now();
        const url = `ldap://127.0.0.1:${(silent.address() as { port: number }).port}`;
        expect(await codeOf(source({ url, timeoutMs: 300 }).authenticate('alice', 'alice-pw'))).toBe('DIRECTORY_UNREACHABLE');
        expect(Date.now() - started).toBeLessThan(3000);
      } finally {
        silent.close();
      }
    });

    it('reports a user base that does not exist as a search failure', async () => {
      expect(await codeOf(source({ userBase: `ou=nowhere,${slapd.dir ? 'dc=example,dc=org' : ''}` }).authenticate('alice', 'alice-pw'))).toBe('DIRECTORY_SEARCH_FAILED');
    });
  });

  describe('the source on its own (what the hub uses)', () => {
    it('finds nested groups through memberOf, and only direct ones when nesting is off', async () => {
      const r = await source().authenticate('alice', 'alice-pw');
      expect(r).toEqual({ kind: 'ok', dn: userDn('alice'), groups: [groupDn('photo-desk'), groupDn('editors')] });
      const flat = await source({ groups: { mode: 'memberOf', nested: false } }).authenticate('alice', 'alice-pw');
      expect(flat.kind === 'ok' && flat.groups).toEqual([groupDn('photo-desk')]);
    });

    it('maps the groups to roles for a service without users of its own (the hub admin login)', async () => {
      const dave = await source().login('dave', 'dave-pw');
      expect(dave.kind === 'ok' && dave.grant).toEqual({
        roles: ['admin', 'legal'],
        from: [{ group: groupDn('custody-admins'), roles: ['admin'] }, { group: groupDn('legal'), roles: ['legal'] }],
      });
      expect(await source().login('dave', 'nope')).toEqual({ kind: 'refused', reason: 'wrong password or locked' });
    });

    it('finds POSIX groups with a group search filter', async () => {
      const r = await source({ groups: { mode: 'search', base: GROUPS, filter: '(&(objectClass=posixGroup)(memberUid={user}))' } }).authenticate('frank', 'frank-pw');
      expect(r).toEqual({ kind: 'ok', dn: userDn('frank'), groups: [`cn=posix-legal,${GROUPS}`] });
      const byDn = await source({ groups: { mode: 'search', base: GROUPS, filter: '(member={dn})' } }).authenticate('dave', 'dave-pw');
      expect(byDn.kind === 'ok' && byDn.groups.sort()).toEqual([groupDn('custody-admins'), groupDn('legal')].sort());
    });

    it('escapes what is typed as a name: wildcards and filter syntax match no one', async () => {
      const s = source();
      // Unescaped, `ali*` would find alice and her password would then log in; `*` would find everyone.
      for (const name of ['ali*', '*', '*)(uid=*', 'alice)(|(uid=*', '*)(|(objectClass=*', 'alice\\', '(uid=alice)', 'alice\u0000']) {
        expect(await s.authenticate(name, 'alice-pw'), name).toEqual({ kind: 'refused', reason: 'unknown user' });
      }
      expect((await s.authenticate('alice', 'alice-pw')).kind).toBe('ok');
    });

    it('refuses an empty password before any bind, although this server accepts it as an unauthenticated bind', async () => {
      const raw = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: [slapd.pki.caPem] } });
      await raw.bind(userDn('alice'), ''); // what a naive "bind as the user" check would take for a login
      await raw.unbind();
      expect(await source().authenticate('alice', '')).toEqual({ kind: 'refused', reason: 'empty password' });
      // Not even a connection is made: an unreachable directory still answers "refused".
      expect(await source({ url: `ldaps://127.0.0.1:${await freePort()}` }).authenticate('alice', '')).toEqual({ kind: 'refused', reason: 'empty password' });
    });

    it('refuses a locked account (ppolicy) like a wrong password', async () => {
      expect(await source().authenticate('bob', 'bob-pw')).toEqual({ kind: 'refused', reason: 'wrong password or locked' });
      expect(await source().authenticate('alice', 'wrong')).toEqual({ kind: 'refused', reason: 'wrong password or locked' });
    });

    it('refuses a filter that finds more than one person', async () => {
      expect(await source({ userFilter: '(|(uid={user})(uid=carol))' }).authenticate('alice', 'alice-pw')).toEqual({ kind: 'refused', reason: 'ambiguous user' });
    });
  });

  describe('desk logins', () => {
    it('give exactly the mapped roles, record them with the groups that granted them, and open a session', async () => {
      const { desk } = await directoryDesk();
      const s = await desk.directory.login('Alice', 'alice-pw');
      expect(s.actor).toEqual({ name: 'alice', roles: ['editor'] });
      expect(desk.directory.session(s.token).actor).toEqual({ name: 'alice', roles: ['editor'] });
      const [grant] = entries(desk, 'auth.directory_login');
      expect(grant?.details).toMatchObject({ dn: userDn('alice'), roles: ['editor'], from: [{ group: groupDn('editors'), roles: ['editor'] }], offline: false, previousRoles: null });
      expect(desk.directory.get('alice')).toMatchObject({ source: 'ldap', roles: ['editor'], createdBy: 'directory' });

      const dave = await desk.directory.login('dave', 'dave-pw');
      expect(dave.actor.roles).toEqual(['admin', 'legal']);
      // A directory user's roles come from the directory, not from an admin of the desk.
      expect(() => desk.directory.setRoles({ name: 'ada', roles: ['admin'] }, 'alice', ['admin'])).toThrow(/roles come from their directory groups/);
    });

    it('answer an unknown user, a wrong password, a locked account, an injection and an empty password the same way', async () => {
      const { desk } = await directoryDesk();
      const answers: string[] = [];
      for (const [name, pw] of [['nobody', 'x-pw'], ['alice', 'wrong'], ['bob', 'bob-pw'], ['*)(uid=*', 'alice-pw'], ['ali*', 'alice-pw'], ['alice', '']] as const) {
        const e = await desk.directory.login(name, pw).then(() => null, (x: unknown) => x);
        expect(isCustodyError(e, 'NOT_AUTHENTICATED'), `${name}: ${String(e)}`).toBe(true);
        answers.push((e as Error).message.replace(/\(.*\)$/, ''));
      }
      expect(new Set(answers).size).toBe(1);
      const reasons = entries(desk, 'auth.login_failed').map((e) => e.details.reason);
      // the injections are no user names: refused after the same work, and never sent to the directory
      expect(reasons).toEqual(['unknown user', 'wrong password or locked', 'wrong password or locked', 'not a user name', 'not a user name', 'empty password']);
    });

    it('recompute roles at every login: a group change shows at the next one', async () => {
      const { desk } = await directoryDesk();
      expect((await desk.directory.login('carol', 'carol-pw')).actor.roles).toEqual(['editor', 'chief']);
      await slapd.admin(async (c) => {
        await c.modify(groupDn('chiefs'), [change('delete', 'member', [userDn('carol')])]);
        await c.modify(groupDn('legal'), [change('add', 'member', [userDn('carol')])]);
      });
      try {
        expect((await desk.directory.login('carol', 'carol-pw')).actor.roles).toEqual(['legal']);
        const last = entries(desk, 'auth.directory_login').at(-1)!;
        expect(last.details).toMatchObject({ roles: ['legal'], previousRoles: ['editor', 'chief'], from: [{ group: groupDn('legal'), roles: ['legal'] }] });
      } finally {
        await slapd.admin(async (c) => {
          await c.modify(groupDn('legal'), [change('delete', 'member', [userDn('carol')])]);
          await c.modify(groupDn('chiefs'), [change('add', 'member', [userDn('carol')])]);
        });
      }
    });

    it('refuse someone whose groups map to no role, unless `*` gives one', async () => {
      const { desk } = await directoryDesk();
      expect(await codeOf(desk.directory.login('erin', 'erin-pw'))).toBe('NOT_PERMITTED');
      desk.ldap.set({ name: 'ada', roles: ['admin'] }, configOf({ roles: [...ROLE_MAP(), { group: '*', roles: ['viewer'] }] }));
      expect((await desk.directory.login('erin', 'erin-pw')).actor.roles).toEqual(['viewer']);
      expect((await desk.directory.login('alice', 'alice-pw')).actor.roles).toEqual(['editor', 'viewer']);
    });

    it('send the stored service password only to the server it was given for (found in review: LDAP passback)', async () => {
      const { desk, admin } = await directoryDesk();
      // another address, CA or service account without the password again: refused, the stored config unchanged
      for (const over of [{ url: 'ldaps://127.0.0.1:1' }, { bindDn: 'cn=someone-else,dc=example,dc=org' }]) {
        expect(() => desk.ldap.set(admin, configOf(over))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('the stored one is sent only to the server it was given for') }));
      }
      expect(desk.ldap.status(admin).config?.url).toBe(configOf().url);
      // the same server with other settings keeps it; a new server with the password given is taken
      desk.ldap.set(admin, configOf({ roles: [...ROLE_MAP(), { group: '*', roles: ['viewer'] }] }));
      expect((await desk.directory.login('erin', 'erin-pw')).actor.roles).toEqual(['viewer']);
      desk.ldap.set(admin, configOf({ url: 'ldaps://127.0.0.1:1' }), SERVICE_PW);
      expect(desk.ldap.status(admin).config?.url).toBe('ldaps://127.0.0.1:1');
    });

    it('refuse a name with spaces around it without asking the directory: each spelling a throttle key of its own reached the directory', async () => {
      const { desk } = await directoryDesk();
      for (const name of [' alice', 'alice ', '  alice']) expect(await codeOf(desk.directory.login(name, 'wrong'))).toBe('NOT_AUTHENTICATED');
      expect(entries(desk, 'auth.login_failed').map((e) => e.details.reason)).toEqual(['not a user name', 'not a user name', 'not a user name']);
    });

    it('know one directory entry by one name: a second uid of the same person logs in as the first', async () => {
      // alice's entry gains a second uid (an alias, or one she wrote herself where the directory lets people edit
      // their entry). Before, "alice.w" became a second desk user, and approved what "alice" had submitted.
      const { desk } = await directoryDesk();
      await slapd.admin((c) => c.modify(userDn('alice'), [change('add', 'uid', ['alice.w'])]));
      try {
        const alice = (await desk.directory.login('alice', 'alice-pw')).actor;
        const id = fakeSignedItem(desk).id;
        desk.workflow.submit(alice, id);
        const again = await desk.directory.login('alice.w', 'alice-pw');
        expect(again.actor).toEqual({ name: 'alice', roles: ['editor'] });
        expect(desk.directory.session(again.token).actor.name).toBe('alice');
        expect(desk.directory.get('alice.w')).toBeNull();
        expect(entries(desk, 'auth.directory_login').at(-1)).toMatchObject({ actor: 'alice', subject: 'alice', details: { dn: userDn('alice'), typed: 'alice.w' } });
        expect(() => desk.workflow.approve(again.actor, id)).toThrow(expect.objectContaining({ code: 'NOT_PERMITTED' }));
        // An admin who disables alice disables her under every name.
        desk.directory.disable({ name: 'ada', roles: ['admin'] }, 'alice');
        expect(await codeOf(desk.directory.login('alice.w', 'alice-pw'))).toBe('NOT_AUTHENTICATED');
        expect(entries(desk, 'auth.login_failed').at(-1)?.details).toMatchObject({ reason: 'disabled', user: 'alice' });
      } finally {
        await slapd.admin((c) => c.modify(userDn('alice'), [change('delete', 'uid', ['alice.w'])]));
      }
    });

    it('count guesses against a directory name whatever its case: "Alice" and "ALICE" are alice', async () => {
      // The directory matches names without regard to case, so each spelling reached the same account; before,
      // each had its own five free failures (32 spellings of "alice", 160 guesses before the first wait).
      const { desk } = await directoryDesk();
      for (let i = 0; i < 5; i++) expect(await codeOf(desk.directory.login('alice', `guess-${i}`))).toBe('NOT_AUTHENTICATED');
      for (const spelling of ['Alice', 'ALICE', 'aLiCe']) expect(await codeOf(desk.directory.login(spelling, 'another-guess'))).toBe('RATE_LIMITED');
    });

    it('keep local users local, and need the vault for the service password', async () => {
      const t = await directoryDesk();
      expect((await t.desk.directory.login('ada', 'ada-tidal-lantern-42')).actor.name).toBe('ada');
      const locked = await t.reopen();
      try {
        expect(await codeOf(locked.directory.login('alice', 'alice-pw'))).toBe('KEY_LOCKED');
        expect((await locked.directory.login('ada', 'ada-tidal-lantern-42')).actor.name).toBe('ada');
      } finally {
        locked.close();
      }
    });
  });

  describe('when the directory goes away', () => {
    it('lets a recent directory login in offline, with its cached roles, for the configured days only', async () => {
      const { desk } = await directoryDesk({ offlineDays: 3 });
      const s = await desk.directory.login('alice', 'alice-pw');
      await slapd.stop();
      try {
        // The open session goes on; a new login is checked against the cache.
        expect(desk.directory.session(s.token).actor.name).toBe('alice');
        const again = await desk.directory.login('alice', 'alice-pw');
        expect(again.actor).toEqual({ name: 'alice', roles: ['editor'] });
        expect(entries(desk, 'auth.directory_login').at(-1)?.details).toMatchObject({ offline: true, roles: ['editor'] });
        expect(await codeOf(desk.directory.login('alice', 'wrong'))).toBe('NOT_AUTHENTICATED');
        // Never logged in here: nothing to fall back on.
        expect(await codeOf(desk.directory.login('carol', 'carol-pw'))).toBe('DIRECTORY_UNREACHABLE');
        const later = new Date(Date.now() + 3 * 86_400_000 + 60_000);
        expect(await codeOf(desk.directory.login('alice', 'alice-pw', { now: later }))).toBe('DIRECTORY_UNREACHABLE');
      } finally {
        await slapd.resume();
      }
      expect((await desk.directory.login('alice', 'alice-pw')).actor.roles).toEqual(['editor']);
    });

    it('forgets the cache of an account the reachable directory locked or deleted, and ends its sessions', async () => {
      const { desk } = await directoryDesk();
      const carol = await desk.directory.login('carol', 'carol-pw');
      const dave = await desk.directory.login('dave', 'dave-pw');
      await slapd.admin(async (c) => {
        await c.modify(userDn('carol'), [change('add', 'pwdAccountLockedTime', ['000001010000Z'])]);
        await c.del(userDn('dave'));
      });
      try {
        expect(await codeOf(desk.directory.login('carol', 'carol-pw'))).toBe('NOT_AUTHENTICATED');
        expect(await codeOf(desk.directory.login('dave', 'dave-pw'))).toBe('NOT_AUTHENTICATED');
        expect(() => desk.directory.session(carol.token)).toThrow(/ended/);
        expect(() => desk.directory.session(dave.token)).toThrow(/ended/);
        expect(getUser(desk.store, 'carol')?.passwordHash).toBe('');
        expect(entries(desk, 'user.directory_revoked').map((e) => e.subject)).toEqual(['carol', 'dave']);
        await slapd.stop();
        // The cache would have let them in; it is gone.
        expect(await codeOf(desk.directory.login('carol', 'carol-pw'))).toBe('DIRECTORY_UNREACHABLE');
        expect(await codeOf(desk.directory.login('dave', 'dave-pw'))).toBe('DIRECTORY_UNREACHABLE');
      } finally {
        await slapd.resume();
        await slapd.admin(async (c) => {
          await c.modify(userDn('carol'), [change('delete', 'pwdAccountLockedTime', [])]);
          await c.add(userDn('dave'), { objectClass: ['inetOrgPerson'], uid: 'dave', cn: 'dave', sn: 'dave', userPassword: 'dave-pw' });
        });
      }
    });

    it('stops acting for a user the directory stopped vouching for: their watched folders no longer sign as them', async () => {
      // carol configured a watched folder, which signs and submits as her (Desk.actorFor, at every file). She
      // leaves the chiefs, her only mapped group; her next login is refused and her cache dropped. Before, the
      // folder went on acting as her with the roles of her last login, editor and chief.
      const { desk } = await directoryDesk();
      await desk.directory.login('carol', 'carol-pw');
      expect(desk.actorFor('carol')).toEqual({ name: 'carol', roles: ['editor', 'chief'] });
      await slapd.admin((c) => c.modify(groupDn('chiefs'), [change('delete', 'member', [userDn('carol')])]));
      try {
        expect(await codeOf(desk.directory.login('carol', 'carol-pw'))).toBe('NOT_PERMITTED');
        expect(entries(desk, 'user.directory_revoked').map((e) => e.subject)).toEqual(['carol']);
        expect(() => desk.actorFor('carol')).toThrow(expect.objectContaining({ code: 'NOT_PERMITTED', message: expect.stringMatching(/no longer vouched for/) }));
      } finally {
        await slapd.admin((c) => c.modify(groupDn('chiefs'), [change('add', 'member', [userDn('carol')])]));
      }
      // Back in the group, her next login vouches for her again.
      await desk.directory.login('carol', 'carol-pw');
      expect(desk.actorFor('carol').roles).toEqual(['editor', 'chief']);
    });

    it('ends the sessions of directory users when an admin removes the directory, and stops acting for them', async () => {
      // "Directory users can no longer log in": before, the sessions they held went on (up to a week with
      // `custody login --hours 168`), and their watched folders kept signing as them.
      const { desk, admin } = await directoryDesk();
      const alice = await desk.directory.login('alice', 'alice-pw');
      const local = await desk.directory.login('ada', 'ada-tidal-lantern-42');
      expect(desk.ldap.remove(admin)).toBe(true);
      expect(() => desk.directory.session(alice.token)).toThrow(expect.objectContaining({ code: 'NOT_AUTHENTICATED' }));
      expect(() => desk.actorFor('alice')).toThrow(expect.objectContaining({ code: 'NOT_PERMITTED' }));
      expect(desk.directory.session(local.token).actor.name).toBe('ada');
      expect(entries(desk, 'settings.directory_removed').at(-1)).toMatchObject({ actor: 'ada', details: { usersEnded: ['alice'] } });
      // Configured again, the directory logs her in as before.
      desk.ldap.set(admin, configOf(), SERVICE_PW);
      expect((await desk.directory.login('alice', 'alice-pw')).actor).toEqual({ name: 'alice', roles: ['editor'] });
    });

    it('keeps the cache after a mistyped password (the directory refused a password the cache would refuse too)', async () => {
      const { desk } = await directoryDesk();
      await desk.directory.login('alice', 'alice-pw');
      expect(await codeOf(desk.directory.login('alice', 'typo'))).toBe('NOT_AUTHENTICATED');
      expect(getUser(desk.store, 'alice')?.passwordHash).not.toBe('');
    });
  });
});
