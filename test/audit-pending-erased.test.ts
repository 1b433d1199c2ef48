// Entries written while the vault is locked, all of them removed: the attacker can write desk.db and
// audit-head.json but holds neither the vault passphrase nor the org key. They delete the whole unsigned tail and
// set the ratchet's count back to 0, or delete or replace the epoch row itself, and roll the unsigned head in
// audit-head.json back to the last signed entry. The next unlock must say so (a signed audit.pending_rejected
// entry) and `audit verify` must fail from then on; a desk that only locked, wrote and unlocked must stay clean.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_HEAD_FILE } from '../core/audit/checkpoint.ts';
import { auditEntries } from '../core/audit/log.ts';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { DB_FILE, Desk } from '../core/desk.ts';
import { CHEAP_SCRYPT, freshDesk, tempDir } from './helpers/cli.ts';
import { addUsers, fakeSignedItem } from './helpers/workflow-desk.ts';

const PASSPHRASE_OF = new Map<string, string>();

/** The attacker's own connection to desk.db, with the append-only triggers dropped. */
function attackerDb(home: string): Database.Database {
  const db = new Database(join(home, DB_FILE));
  db.exec('PRAGMA foreign_keys = OFF; DROP TRIGGER IF EXISTS audit_log_no_delete; DROP TRIGGER IF EXISTS audit_log_no_edit; DROP TRIGGER IF EXISTS audit_log_seal_once;');
  return db;
}

async function unlock(home: string): Promise<Desk> {
  const d = Desk.open(home, { passwordParams: CHEAP_SCRYPT });
  await d.unlock(new PassphraseProtector(PASSPHRASE_OF.get(home)!, CHEAP_SCRYPT));
  return d;
}

/** A desk used with the vault open, then closed; while locked, `failures` failed logins are appended. */
async function lockedDesk(failures: number): Promise<{ home: string; lastSigned: { seq: number; hash: string; at: string }; before: number }> {
  const env = await freshDesk('Daily Planet', { name: 'ada', password: 'ada-tidal-lantern-42' });
  const home = env.CUSTODY_HOME!;
  PASSPHRASE_OF.set(home, env.CUSTODY_PASSPHRASE!);
  const desk = await unlock(home);
  const u = await addUsers(desk, { name: 'ada', roles: ['admin'] }, { ed: ['editor'], cy: ['editor', 'chief'] });
  desk.workflow.submit(u.ed!, fakeSignedItem(desk).id);
  desk.close();

  const locked = Desk.open(home, { passwordParams: CHEAP_SCRYPT });
  for (const name of ['ed', 'cy', 'ada'].slice(0, failures)) await locked.directory.authenticate(name, 'a wrong guess').catch(() => undefined);
  const all = [...auditEntries(locked.store)];
  const pending = all.filter((e) => e.signature === null);
  expect(pending.map((e) => [e.action, typeof e.pendingMac])).toEqual(Array(failures).fill(['auth.login_failed', 'string']));
  const last = all.filter((e) => e.signature !== null).at(-1)!;
  locked.close();
  return { home, lastSigned: { seq: last.seq, hash: last.hash, at: last.at }, before: all.length };
}

/** The attacker's edit: `fn` on desk.db, then every locked entry deleted and the unsigned head rolled back to the last signed one. */
function eraseLockedTail(home: string, lastSigned: { seq: number; hash: string; at: string }, fn: (db: Database.Database) => void): void {
  const db = attackerDb(home);
  db.prepare('DELETE FROM audit_log WHERE seq > ?').run(lastSigned.seq);
  fn(db);
  db.close();
  const head = JSON.parse(readFileSync(join(home, AUDIT_HEAD_FILE), 'utf8')) as { head: unknown };
  head.head = lastSigned;
  writeFileSync(join(home, AUDIT_HEAD_FILE), JSON.stringify(head));
}

/** The unlock wrote a signed audit.pending_rejected right after the cut, and verification fails there. */
function expectCaught(d: Desk, lastSigned: { seq: number }, message: RegExp): void {
  const after = [...auditEntries(d.store)].filter((e) => e.seq > lastSigned.seq);
  expect(after.map((e) => [e.action, e.signature !== null])).toEqual([['audit.pending_rejected', true]]);
  expect(String(after[0]!.details.problem)).toMatch(message);
  const r = d.audit.verify();
  expect(r.ok).toBe(false);
  expect(r.firstBad).toMatchObject({ seq: lastSigned.seq + 1, kind: 'forged_pending' });
}

describe('entries written while the vault was locked, all removed', () => {
  it('with the ratchet count set back to 0: the key has moved on, the unlock rejects and audit verify fails', async () => {
    const { home, lastSigned } = await lockedDesk(3);
    eraseLockedTail(home, lastSigned, (db) => db.prepare('UPDATE audit_pending_key SET next_index = 0').run());
    const d = await unlock(home);
    expectCaught(d, lastSigned, /expected 0 entries written while the vault was locked, got 0 and an audit key that does not follow from them/);
    // It stays reported after later unlocks.
    d.close();
    const again = await unlock(home);
    expect(again.audit.verify().firstBad).toMatchObject({ seq: lastSigned.seq + 1, kind: 'forged_pending' });
    again.close();
  });

  it('with the epoch row deleted: the unlock rejects and audit verify fails', async () => {
    const { home, lastSigned } = await lockedDesk(3);
    eraseLockedTail(home, lastSigned, (db) => db.prepare('DELETE FROM audit_pending_key').run());
    const d = await unlock(home);
    expectCaught(d, lastSigned, /got no epoch at all: it was deleted/);
    d.close();
  });

  it('with the epoch row and the database\'s copy of the signed head deleted: the signed entries are dated after epochs began', async () => {
    const { home, lastSigned } = await lockedDesk(2);
    eraseLockedTail(home, lastSigned, (db) => db.exec('DELETE FROM audit_pending_key; DELETE FROM audit_witness'));
    const d = await unlock(home);
    expectCaught(d, lastSigned, /got no epoch at all: it was deleted/);
    d.close();
  });

  it('with the epoch row replaced by a fresh one of the attacker\'s: the unlock rejects and audit verify fails', async () => {
    const { home, lastSigned } = await lockedDesk(1);
    eraseLockedTail(home, lastSigned, (db) => db.prepare('UPDATE audit_pending_key SET epoch = ?, next_index = 0, key = ?').run(randomBytes(12).toString('hex'), randomBytes(32)));
    const d = await unlock(home);
    expectCaught(d, lastSigned, /which the vault does not know/);
    d.close();
  });
});

describe('lock, writes, unlock', () => {
  it('seals the locked entries and verifies clean, and so does an unlock with nothing written while locked', async () => {
    const { home, before } = await lockedDesk(3);
    const d = await unlock(home);
    expect(d.audit.verify()).toMatchObject({ ok: true, entries: before, sealed: before, pending: null, problems: [] });
    d.close();
    // Locked again with nothing written: the count is 0 and the key is still K(0).
    const d2 = await unlock(home);
    expect(d2.audit.verify()).toMatchObject({ ok: true, entries: before, sealed: before, problems: [] });
    expect([...auditEntries(d2.store)].some((e) => e.action === 'audit.pending_rejected')).toBe(false);
    d2.close();
  });

  it('a K(0) copied before the last unlock is of no use: every unlock starts a new epoch, even with nothing pending', async () => {
    const { home, lastSigned } = await lockedDesk(1);
    const d = await unlock(home); // seals the one locked entry, starts epoch E1
    d.close();
    const read = new Database(join(home, DB_FILE), { readonly: true });
    const backup = read.prepare('SELECT epoch, next_index, key FROM audit_pending_key').get() as { epoch: string; next_index: number; key: Buffer };
    read.close();
    expect(backup.next_index).toBe(0); // K(0) of E1, as any copy of desk.db taken now holds it
    const d2 = await unlock(home); // nothing was written while locked
    d2.close();
    const locked = Desk.open(home, { passwordParams: CHEAP_SCRYPT });
    await locked.directory.authenticate('ed', 'a wrong guess').catch(() => undefined);
    const cut = [...auditEntries(locked.store)].filter((e) => e.signature !== null).at(-1)!;
    expect(cut.seq).toBe(lastSigned.seq + 1);
    locked.close();
    eraseLockedTail(home, { seq: cut.seq, hash: cut.hash, at: cut.at }, (db) => db.prepare('UPDATE audit_pending_key SET epoch = @epoch, next_index = @next_index, key = @key').run(backup));
    const d3 = await unlock(home);
    expectCaught(d3, cut, /which the vault does not know/);
    d3.close();
  });

  it('a desk from before epochs (no epoch row, no database copy of the signed head) is not flagged at its first unlock', async () => {
    const home = join(tempDir('custody-home-'), 'desk');
    const passphrase = 'correct horse battery staple';
    PASSPHRASE_OF.set(home, passphrase);
    const { desk } = await Desk.init(home, { org: 'Daily Planet', protector: new PassphraseProtector(passphrase, CHEAP_SCRYPT), passwordParams: CHEAP_SCRYPT, now: new Date('2026-11-20T10:00:00Z') });
    desk.close();
    const db = new Database(join(home, DB_FILE));
    db.exec('DELETE FROM audit_pending_key; DELETE FROM audit_witness');
    db.close();
    const d = await unlock(home);
    expect([...auditEntries(d.store)].some((e) => e.action === 'audit.pending_rejected')).toBe(false);
    expect(d.audit.verify()).toMatchObject({ ok: true, problems: [] });
    d.close();
  });
});
