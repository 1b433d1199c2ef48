// Issue 13 §7: secrets at rest and guessing. The data folder is private; new secrets must be hard to guess; scrypt
// is at OWASP's floor; logins and unlocks are throttled across processes and every failure is audited; a disabled
// account answers exactly like a wrong password.
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditEntries } from '../core/audit/log.ts';
import { DEFAULT_SCRYPT, PassphraseProtector } from '../core/crypto/vault.ts';
import { DB_FILE, Desk } from '../core/desk.ts';
import { DEFAULT_PASSWORD_SCRYPT } from '../core/directory/passwords.ts';
import { sql } from '../core/store/db.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { CHEAP, PASSPHRASE, addUsers, protector, testDesk } from './helpers/workflow-desk.ts';

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
const last = (desk: Desk) => [...auditEntries(desk.store)].at(-1)!;
const code = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: { code?: string }) => e.code ?? String(e));

describe.skipIf(process.platform === 'win32')('the data folder is private', () => {
  it('is created 0700 with desk.db, its WAL and shared-memory files and the head checkpoint 0600', async () => {
    const { desk, home } = await testDesk();
    for (const f of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, 'audit-head.json']) expect([f, mode(join(home, f))]).toEqual([f, '600']);
    expect(mode(home)).toBe('700');
    desk.close();
  });

  it('a desk left readable by an older version is tightened on its next open', async () => {
    const t = await testDesk();
    t.desk.close();
    chmodSync(t.home, 0o755);
    chmodSync(join(t.home, DB_FILE), 0o644);
    writeFileSync(join(t.home, 'stray.json'), '{}', { mode: 0o644 });
    const desk = await t.reopen();
    expect([mode(t.home), mode(join(t.home, DB_FILE)), mode(join(t.home, 'stray.json'))]).toEqual(['700', '600', '600']);
    desk.close();
  });

  it('custody init and login write nothing others can read (real CLI, default scrypt)', { timeout: 240_000 }, async () => {
    const home = join(tempDir(), 'desk');
    const env = { CUSTODY_HOME: home, CUSTODY_PASSPHRASE: 'cobalt orchard tide lantern', CUSTODY_PASSWORD: 'ada-tidal-lantern-42' };
    expect((await runCli(['init', '--org', 'Daily Planet', '--admin', 'ada'], env)).code).toBe(0);
    const login = await runCli(['login', 'ada'], { ...env, CUSTODY_PASSPHRASE: '' });
    expect(login.code, login.stderr).toBe(0);
    for (const f of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, 'audit-head.json', 'session.json']) {
      if (existsSync(join(home, f))) expect([f, mode(join(home, f))]).toEqual([f, '600']);
    }
    expect(mode(home)).toBe('700');
    // The vault and the admin's password were made at OWASP's scrypt floor.
    const desk = Desk.open(home);
    const vault = desk.store.get<{ params: string }>(sql`SELECT params FROM vault_keys`)!;
    expect(JSON.parse(vault.params)).toMatchObject({ N: 131072, r: 8, p: 1 });
    expect(desk.store.get<{ h: string }>(sql`SELECT password_hash AS h FROM users WHERE name = 'ada'`)!.h).toMatch(/^scrypt\$131072\$8\$1\$/);
    desk.close();
  });
});

describe('new secrets must be hard to guess', () => {
  it('scrypt defaults are at least OWASP\'s floor (N=2^17, r=8, p=1) for the vault and for passwords', () => {
    for (const p of [DEFAULT_SCRYPT, DEFAULT_PASSWORD_SCRYPT]) {
      expect(p.N).toBeGreaterThanOrEqual(1 << 17);
      expect(p.r).toBeGreaterThanOrEqual(8);
      expect(p.p).toBeGreaterThanOrEqual(1);
    }
  });

  it.each([
    ['a', /^expected a vault passphrase of at least 12 characters, got 1/],
    ['password1234', /^expected a vault passphrase that is hard to guess \(strength 3 of 4 or more\), got one of strength [0-2]/],
    ['aaaaaaaaaaaaaaaa', /strength 0/],
  ])('the vault refuses the passphrase %j with WEAK_PASSPHRASE and leaves no desk behind', async (passphrase, message) => {
    const home = join(mkdtempSync(join(tmpdir(), 'custody-weak-')), 'desk');
    const p = Desk.init(home, { org: 'Daily Planet', protector: new PassphraseProtector(passphrase, CHEAP) });
    await expect(p).rejects.toMatchObject({ code: 'WEAK_PASSPHRASE', message: expect.stringMatching(message) });
    expect(existsSync(home)).toBe(false);
  });

  it('`CUSTODY_PASSPHRASE=a custody init` is refused', async () => {
    const home = join(tempDir(), 'desk');
    const r = await runCli(['init', '--org', 'Daily Planet'], { CUSTODY_HOME: home, CUSTODY_PASSPHRASE: 'a' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error WEAK_PASSPHRASE: expected a vault passphrase of at least 12 characters, got 1/);
    expect(existsSync(join(home, DB_FILE))).toBe(false);
  });

  it('a new protector for an existing vault must be strong too', async () => {
    const { desk } = await testDesk();
    await expect(desk.addProtector(new PassphraseProtector('short', CHEAP))).rejects.toMatchObject({ code: 'WEAK_PASSPHRASE' });
    desk.close();
  });
});

describe('guessing logins', () => {
  it('five failures in a row lock the name; the lock doubles, is shared by every process, and ends', async () => {
    const t = await testDesk();
    const now = new Date('2026-01-01T10:00:00.000Z');
    for (let i = 0; i < 5; i++) expect(await code(t.desk.directory.authenticate('ada', `guess-${i}`, now))).toBe('NOT_AUTHENTICATED');
    // Even the right password is refused while locked, and the refusal is audited too.
    const locked = t.desk.directory.authenticate('ada', 'ada-tidal-lantern-42', new Date(now.getTime() + 1000));
    await expect(locked).rejects.toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/^expected at most 5 failed attempts in a row at the login of ada, got 5: try again in 59 s/) });
    expect(last(t.desk)).toMatchObject({ action: 'auth.login_failed', subject: 'ada', details: { reason: 'rate_limited' } });

    // Another process (its own connection to desk.db) sees the same lock.
    const other = await t.reopen();
    expect(await code(other.directory.authenticate('ada', 'ada-tidal-lantern-42', new Date(now.getTime() + 30_000)))).toBe('RATE_LIMITED');
    // After a minute one more try; it fails, and the next wait is two minutes.
    const later = new Date(now.getTime() + 61_000);
    expect(await code(other.directory.authenticate('ada', 'guess-5', later))).toBe('NOT_AUTHENTICATED');
    expect(await code(t.desk.directory.authenticate('ada', 'ada-tidal-lantern-42', new Date(later.getTime() + 119_000)))).toBe('RATE_LIMITED');
    // The right password after the wait lets ada in and forgives the failures.
    expect(await t.desk.directory.authenticate('ada', 'ada-tidal-lantern-42', new Date(later.getTime() + 121_000))).toEqual({ name: 'ada', roles: ['admin'] });
    expect(await code(t.desk.directory.authenticate('ada', 'guess-7', new Date(later.getTime() + 122_000)))).toBe('NOT_AUTHENTICATED');
    expect(await code(t.desk.directory.authenticate('ada', 'ada-tidal-lantern-42', new Date(later.getTime() + 123_000)))).toBe('ok');

    const failures = [...auditEntries(t.desk.store)].filter((e) => e.action === 'auth.login_failed');
    expect(failures.map((e) => e.details.reason)).toEqual([...Array(5).fill('wrong password'), 'rate_limited', 'rate_limited', 'wrong password', 'rate_limited', 'wrong password']);
    other.close();
    t.desk.close();
  });

  it('guesses started at once cannot all slip through one check', async () => {
    const { desk } = await testDesk();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => code(desk.directory.authenticate('ada', `parallel-${i}`))));
    expect(results.filter((c) => c === 'NOT_AUTHENTICATED')).toHaveLength(5);
    expect(results.filter((c) => c === 'RATE_LIMITED')).toHaveLength(7);
    desk.close();
  });

  it('unknown names are throttled alike, so that a lock says nothing about who exists', async () => {
    const { desk } = await testDesk();
    for (let i = 0; i < 5; i++) await code(desk.directory.authenticate('nobody', `guess-${i}`));
    expect(await code(desk.directory.authenticate('nobody', 'again'))).toBe('RATE_LIMITED');
    desk.close();
  });

  it('a disabled account answers exactly like a wrong password: code, sentence, and the scrypt work', async () => {
    const home = join(mkdtempSync(join(tmpdir(), 'custody-disabled-')), 'desk');
    // A real cost (2^14) so that skipping the hash would show; a generous throttle so that it does not interfere.
    const params = { N: 1 << 14, r: 8, p: 1 };
    const { desk } = await Desk.init(home, { org: 'Daily Planet', protector: protector(), passwordParams: params, throttle: { freeFailures: 1000, firstLockMs: 1, maxLockMs: 1 }, admin: { name: 'ada', password: 'ada-tidal-lantern-42' } });
    await addUsers(desk, { name: 'ada', roles: ['admin'] }, { ed: ['editor'], lee: ['editor'] });
    desk.directory.disable({ name: 'ada', roles: ['admin'] }, 'ed');
    const attempt = async (name: string, password: string) => {
      const t0 = performance.now();
      const e = await desk.directory.authenticate(name, password).then(() => null, (x: { code: string; message: string }) => x);
      return { ms: performance.now() - t0, code: e?.code, message: e?.message.replace(`(${name})`, '(NAME)') };
    };
    await attempt('lee', 'warm-up-guess'); // the first scrypt of a process allocates its memory
    const disabled = [];
    const wrong = [];
    for (let i = 0; i < 5; i++) {
      disabled.push(await attempt('ed', 'ed-tidal-lantern-42')); // the right password of a disabled account
      wrong.push(await attempt('lee', `wrong-${i}`));
    }
    expect(disabled[0]).toMatchObject({ code: wrong[0]!.code, message: wrong[0]!.message });
    expect(disabled[0]!.code).toBe('NOT_AUTHENTICATED');
    const median = (xs: { ms: number }[]) => xs.map((x) => x.ms).sort((a, b) => a - b)[2]!;
    const ratio = median(disabled) / median(wrong);
    expect(ratio, `disabled ${median(disabled).toFixed(1)} ms, wrong ${median(wrong).toFixed(1)} ms`).toBeGreaterThan(0.6);
    expect(ratio).toBeLessThan(1.6);
    desk.close();
  });
});

describe('guessing the vault passphrase', () => {
  it('is throttled across processes, and every failed unlock is audited', async () => {
    const t = await testDesk();
    t.desk.close();
    const now = new Date('2026-01-01T10:00:00.000Z');
    for (let i = 0; i < 5; i++) {
      const d = await t.reopen(); // a separate `custody` process each time
      expect(await code(d.unlock(new PassphraseProtector(`wrong guess number ${i}`, CHEAP), now))).toBe('KEY_LOCKED');
      d.close();
    }
    const d = await t.reopen();
    await expect(d.unlock(protector(), new Date(now.getTime() + 10_000))).rejects.toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/at the vault \(passphrase-scrypt\)/) });
    expect(d.unlocked).toBe(false);
    const failed = [...auditEntries(d.store)].filter((e) => e.action === 'vault.unlock_failed');
    expect(failed.map((e) => e.details.reason)).toEqual([...Array(5).fill('wrong secret'), 'rate_limited']);
    await d.unlock(protector(), new Date(now.getTime() + 61_000));
    expect(d.unlocked).toBe(true);
    expect(d.audit.verify().ok).toBe(true);
    d.close();
  });
});

// The right passphrase still works the first time.
it('the test passphrase itself is strong enough', () => {
  expect(() => new PassphraseProtector(PASSPHRASE, CHEAP).requireStrong()).not.toThrow();
  expect(readFileSync).toBeDefined();
});
