// The local directory: password hashes, users and roles, authentication, sessions; each change audited.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditEntries } from '../core/audit/log.ts';
import { Desk } from '../core/desk.ts';
import { hashPassword, verifyPassword } from '../core/directory/passwords.ts';
import { parseRoles } from '../core/directory/roles.ts';
import { sql } from '../core/store/db.ts';
import { CHEAP, addUsers, protector, testDesk } from './helpers/workflow-desk.ts';

const lastEntry = (desk: Desk) => [...auditEntries(desk.store)].at(-1)!;
const ADA = { name: 'ada', roles: ['admin' as const] };

describe('password hashes (scrypt)', () => {
  it('verify the right password only, and say how they were made', async () => {
    const h = await hashPassword('correct horse', CHEAP);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct horsE', h)).toBe(false);
    expect(await hashPassword('correct horse', CHEAP)).not.toBe(h);
  });

  it('never throw on a malformed hash', async () => {
    for (const bad of ['', 'scrypt$', 'bcrypt$1$2$3$aa$bb', 'scrypt$0$8$1$AAAA$AAAA', 'scrypt$1024$8$1$AAAA$AAAA', 'scrypt$99999999$8$1$AAAA$' + 'A'.repeat(44)]) {
      expect(await verifyPassword('x', bad), bad).toBe(false);
    }
  });
});

describe('roles', () => {
  it('parse lists of built-in roles and refuse others', () => {
    expect(parseRoles('chief, editor,chief')).toEqual(['editor', 'chief']);
    expect(() => parseRoles('editor,owner')).toThrow(/^expected roles from admin, editor, chief, legal, viewer, got "owner"$/);
    expect(() => parseRoles(' , ')).toThrow(/got none/);
  });
});

describe('users', () => {
  it('the first admin comes from init; admins add users, each addition audited', async () => {
    const { desk } = await testDesk();
    expect(desk.directory.list().map((u) => [u.name, u.roles, u.createdBy])).toEqual([['ada', ['admin'], 'desk']]);
    const u = await desk.directory.addUser(ADA, { name: 'clark', roles: 'editor,chief', password: 'clark-tidal-lantern-42' });
    expect(u).toMatchObject({ name: 'clark', roles: ['editor', 'chief'], createdBy: 'ada', disabledAt: null });
    expect(lastEntry(desk)).toMatchObject({ actor: 'ada', action: 'user.created', subject: 'clark', details: { roles: ['editor', 'chief'] } });
    const row = desk.store.get<{ password_hash: string }>(sql`SELECT password_hash FROM users WHERE name = 'clark'`);
    expect(row?.password_hash).toMatch(/^scrypt\$/);
    expect(row?.password_hash).not.toContain('clark-tidal-lantern-42');
  });

  it.each([
    ['a non-admin', { name: 'ed', roles: ['editor' as const] }, { name: 'x', roles: 'viewer', password: 'quiet-harbour-sleeps-42' }, /^expected an admin to add users, got ed with roles editor$/],
    ['a bad name', ADA, { name: 'Bad Name', roles: 'viewer', password: 'quiet-harbour-sleeps-42' }, /^expected a user name of 1–64 lowercase/],
    ['a reserved name', ADA, { name: 'desk', roles: 'viewer', password: 'quiet-harbour-sleeps-42' }, /other than desk, anonymous, system/],
    ['a short password', ADA, { name: 'x', roles: 'viewer', password: 'short' }, /^expected a password for x of at least 12 characters, got 5: use several unrelated words$/],
    ['a guessable password', ADA, { name: 'xavier', roles: 'viewer', password: 'Password1234' }, /^expected a password for xavier that is hard to guess \(strength 3 of 4 or more\), got one of strength 1: /],
    ['a password made of the name', ADA, { name: 'xavier', roles: 'viewer', password: 'xaviercustody' }, /^expected a password for xavier that is hard to guess/],
    ['an unknown role', ADA, { name: 'x', roles: 'root', password: 'quiet-harbour-sleeps-42' }, /got "root"/],
    ['an existing name', ADA, { name: 'ada', roles: 'viewer', password: 'quiet-harbour-sleeps-42' }, /^expected a new user name, got ada, which exists already$/],
  ])('refuses %s', async (_n, by, input, message) => {
    const { desk } = await testDesk();
    const before = [...auditEntries(desk.store)].length;
    await expect(desk.directory.addUser(by, input)).rejects.toThrow(message);
    expect([...auditEntries(desk.store)].length).toBe(before);
  });

  it('init refuses a bad first admin before creating anything', async () => {
    const home = join(mkdtempSync(join(tmpdir(), 'custody-init-')), 'desk');
    for (const [admin, code] of [[{ name: 'Perry White', password: 'quiet-harbour-sleeps-42' }, 'INVALID_ARGUMENT'], [{ name: 'perry', password: 'short' }, 'WEAK_PASSWORD']] as const) {
      await expect(Desk.init(home, { org: 'Daily Planet', protector: protector(), admin })).rejects.toMatchObject({ code });
      expect(Desk.isInitialized(home)).toBe(false);
    }
  });

  it('a desk without users takes its first admin from the passphrase holder, only while unlocked', async () => {
    const t = await testDesk({ admin: false });
    const by = t.desk.bootstrapActor();
    expect(by).toEqual({ name: 'desk', roles: ['admin'] });
    await expect(t.desk.directory.addUser(by!, { name: 'ed', roles: 'editor', password: 'ed-tidal-lantern-42' })).rejects.toThrow(/^expected the first user of a desk to be an admin/);
    t.desk.close();
    const locked = await t.reopen();
    expect(locked.bootstrapActor()).toBeNull();
    locked.close();
    const unlocked = await t.reopen({ unlock: true });
    await unlocked.directory.addUser(unlocked.bootstrapActor()!, { name: 'root', roles: 'admin', password: 'root-tidal-lantern-42' });
    expect(unlocked.bootstrapActor()).toBeNull();
    unlocked.close();
  });

  it('keeps one active admin: the last cannot be disabled or lose the role', async () => {
    const { desk } = await testDesk();
    expect(() => desk.directory.disable(ADA, 'ada')).toThrow(/^expected another active admin to remain, got ada as the last one$/);
    expect(() => desk.directory.setRoles(ADA, 'ada', 'editor')).toThrow(/last one/);
    await addUsers(desk, ADA, { bob: ['admin'] });
    expect(desk.directory.setRoles(ADA, 'ada', 'editor,viewer').roles).toEqual(['editor', 'viewer']);
    expect(lastEntry(desk)).toMatchObject({ action: 'user.roles_changed', subject: 'ada', details: { from: ['admin'], to: ['editor', 'viewer'] } });
    expect(() => desk.directory.disable({ name: 'ada', roles: ['editor'] }, 'bob')).toThrow(/^expected an admin to disable users/);
    expect(() => desk.directory.disable({ name: 'bob', roles: ['admin'] }, 'nobody')).toThrow(/not in the directory/);
  });
});

describe('authentication and sessions', () => {
  it('a wrong password or unknown user is NOT_AUTHENTICATED with the same sentence, and an audit entry', async () => {
    const { desk } = await testDesk();
    await addUsers(desk, ADA, { ed: ['editor'] });
    expect(await desk.directory.authenticate('ed', 'ed-tidal-lantern-42')).toEqual({ name: 'ed', roles: ['editor'] });
    const wrong = desk.directory.authenticate('ed', 'nope-nope');
    await expect(wrong).rejects.toMatchObject({ code: 'NOT_AUTHENTICATED' });
    const wrongMsg = await wrong.then(() => '', (e: Error) => e.message);
    expect(lastEntry(desk)).toMatchObject({ actor: 'anonymous', action: 'auth.login_failed', subject: 'ed', details: { reason: 'wrong password' } });
    const unknownMsg = await desk.directory.authenticate('zed', 'nope-nope').then(() => '', (e: Error) => e.message);
    expect(lastEntry(desk)).toMatchObject({ action: 'auth.login_failed', subject: 'zed', details: { reason: 'unknown user' } });
    expect(unknownMsg.replace('zed', 'ed')).toBe(wrongMsg);
  });

  it('a disabled user cannot log in, and their sessions end', async () => {
    const { desk } = await testDesk();
    await addUsers(desk, ADA, { ed: ['editor'] });
    const s = await desk.directory.login('ed', 'ed-tidal-lantern-42');
    expect(desk.directory.session(s.token).actor.name).toBe('ed');
    desk.directory.disable(ADA, 'ed');
    expect(lastEntry(desk)).toMatchObject({ actor: 'ada', action: 'user.disabled', subject: 'ed' });
    expect(() => desk.directory.session(s.token)).toThrow(/has ended/);
    // Exactly what a wrong password answers: the account's state is not given away (tests/guessing.test.ts times it).
    await expect(desk.directory.authenticate('ed', 'ed-tidal-lantern-42')).rejects.toThrow(/^expected the password of a user of this desk, got a user name and password that do not match \(ed\)$/);
    expect(lastEntry(desk)).toMatchObject({ action: 'auth.login_failed', subject: 'ed', details: { reason: 'disabled' } });
  });

  it('sessions expire, end at logout, and are kept only as a hash', async () => {
    const { desk } = await testDesk();
    const now = new Date('2025-05-01T08:00:00.000Z');
    const s = await desk.directory.login('ada', 'ada-tidal-lantern-42', { now, hours: 8 });
    expect(s.expiresAt).toBe('2025-05-01T16:00:00.000Z');
    expect(lastEntry(desk)).toMatchObject({ actor: 'ada', action: 'auth.login', details: { expiresAt: s.expiresAt } });
    expect(desk.directory.session(s.token, new Date('2025-05-01T15:59:59.000Z')).actor).toEqual({ name: 'ada', roles: ['admin'] });
    expect(() => desk.directory.session(s.token, new Date('2025-05-01T16:00:00.000Z'))).toThrow(/expired at 2025-05-01T16:00:00.000Z/);
    const stored = desk.store.all<{ token_sha256: string }>(sql`SELECT token_sha256 FROM sessions`);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(stored[0]!.token_sha256).not.toContain(s.token);
    expect(desk.directory.logout(s.token)).toBe(true);
    expect(lastEntry(desk)).toMatchObject({ actor: 'ada', action: 'auth.logout' });
    expect(desk.directory.logout(s.token)).toBe(false);
    expect(() => desk.directory.session(s.token, now)).toThrow(/has ended/);
    await expect(desk.directory.login('ada', 'ada-tidal-lantern-42', { hours: 0 })).rejects.toThrow(/^expected a session length between 0 and 168 hours, got 0$/);
  });
});
