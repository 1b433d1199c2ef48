// Issue 13 §5: the audit log proves itself against the organisation, not against itself. Each attack below is
// what someone who can write desk.db (and the files beside it) but does not hold the vault passphrase can do;
// each edits the database directly, as such an attacker would, and each must be caught.
import Database from 'better-sqlite3';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_HEAD_FILE } from '../core/audit/checkpoint.ts';
import { canonicalJson } from '../core/audit/canonical-json.ts';
import { entryHash, entrySigningMessage, headSigningMessage, type AuditEntryBody } from '../core/audit/entry.ts';
import { auditEntries } from '../core/audit/log.ts';
import { pendingMac } from '../core/audit/pending.ts';
import { generateKeyPair, keyId, sign } from '../core/crypto/ed25519.ts';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { DB_FILE, Desk } from '../core/desk.ts';
import { CHEAP_SCRYPT, freshDesk, runCli } from './helpers/cli.ts';
import { addUsers, fakeSignedItem } from './helpers/workflow-desk.ts';

interface RawEntry { seq: number; at: string; actor: string; action: string; subject: string | null; details: string; prev_hash: string; hash: string; key_id: string | null; signature: string | null; pending_mac: string | null }

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The attacker's own connection to desk.db, with the append-only triggers dropped. */
function attackerDb(home: string): Database.Database {
  const db = new Database(join(home, DB_FILE));
  db.exec('PRAGMA foreign_keys = OFF; DROP TRIGGER IF EXISTS audit_log_no_delete; DROP TRIGGER IF EXISTS audit_log_no_edit; DROP TRIGGER IF EXISTS audit_log_seal_once;');
  return db;
}

/** Rehashes and relinks entries in order from `from` on (they keep their other fields). */
function rechain(db: Database.Database, rows: RawEntry[], fn: (r: RawEntry, body: AuditEntryBody) => { keyId: string | null; signature: string | null; pendingMac?: string | null }): RawEntry[] {
  const out: RawEntry[] = [];
  for (const [i, r] of rows.entries()) {
    const body: AuditEntryBody = { seq: i + 1, at: r.at, actor: r.actor, action: r.action, subject: r.subject, details: JSON.parse(r.details) as Record<string, unknown>, prevHash: out.at(-1)?.hash ?? '0'.repeat(64) };
    const hash = entryHash(body);
    const s = fn(r, { ...body, prevHash: body.prevHash });
    out.push({ ...r, seq: body.seq, prev_hash: body.prevHash, hash, key_id: s.keyId, signature: s.signature, pending_mac: s.pendingMac ?? null, details: canonicalJson(body.details) });
  }
  db.exec('DELETE FROM audit_log');
  const ins = db.prepare('INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature, pending_mac) VALUES (@seq, @at, @actor, @action, @subject, @details, @prev_hash, @hash, @key_id, @signature, @pending_mac)');
  for (const r of out) ins.run(r);
  return out;
}

/**
 * The rewrite of issue 13: failed logins and comments removed, an approval moved to someone else, everything
 * re-signed with a fresh key listed beside the real one in entry 1 (and added to signing_keys), the database's
 * signed head and the head file re-signed to match.
 */
function rewriteLog(home: string): { removed: number; kept: number } {
  const db = attackerDb(home);
  const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as RawEntry[];
  const real = db.prepare('SELECT id, public_key FROM signing_keys').get() as { id: string; public_key: string };
  const mallory = generateKeyPair();
  const mid = keyId(mallory.publicKey);
  db.prepare("INSERT INTO vault_secrets (name, nonce, ciphertext, created_at) VALUES (?, ?, ?, 'now')").run(`signing-key:${mid}`, Buffer.alloc(12), Buffer.alloc(48));
  db.prepare("INSERT INTO signing_keys (id, algorithm, public_key, secret_name, created_at, retired_at) VALUES (?, 'ed25519', ?, ?, 'now', 'now')").run(mid, hex(mallory.publicKey), `signing-key:${mid}`);
  const kept = rows.filter((r) => r.action !== 'auth.login_failed' && r.action !== 'item.commented').map((r) => (r.action === 'workflow.approve' ? { ...r, actor: 'ed' } : r));
  kept[0] = { ...kept[0]!, details: canonicalJson({ keys: [{ id: real.id, publicKey: real.public_key }, { id: mid, publicKey: hex(mallory.publicKey) }] }) };
  const out = rechain(db, kept, (_r, body) => ({ keyId: mid, signature: hex(sign(entrySigningMessage(entryHash(body)), mallory.secretKey)) }));
  const head = out.at(-1)!;
  const headSig = hex(sign(headSigningMessage(head.seq, head.hash), mallory.secretKey));
  db.prepare('UPDATE audit_witness SET seq = ?, hash = ?, key_id = ?, signature = ?').run(head.seq, head.hash, mid, headSig);
  writeFileSync(join(home, AUDIT_HEAD_FILE), JSON.stringify({ version: 1, head: { seq: head.seq, hash: head.hash, at: head.at }, signed: { seq: head.seq, hash: head.hash, keyId: mid, signature: headSig } }));
  db.close();
  return { removed: rows.length - kept.length, kept: kept.length };
}

async function busyDesk(): Promise<{ env: Record<string, string>; realKey: string; desk: Desk }> {
  const env = await freshDesk('Daily Planet', { name: 'ada', password: 'ada-tidal-lantern-42' });
  const desk = Desk.open(env.CUSTODY_HOME!, { passwordParams: CHEAP_SCRYPT });
  await desk.unlock(new PassphraseProtector(env.CUSTODY_PASSPHRASE!, CHEAP_SCRYPT));
  const u = await addUsers(desk, { name: 'ada', roles: ['admin'] }, { ed: ['editor'], cy: ['editor', 'chief'] });
  const item = fakeSignedItem(desk);
  await desk.directory.authenticate('ed', 'not-eds-password').catch(() => undefined);
  desk.workflow.submit(u.ed!, item.id);
  desk.comment(u.cy!, item.id, 'who took this?');
  desk.workflow.approve(u.cy!, item.id);
  return { env, realKey: desk.keys()[0]!.publicKey, desk };
}

describe('a log rewritten and re-signed with a key of the attacker', () => {
  it('fails `custody audit verify` with the vault open, and with --trust-key <real key> alone', { timeout: 240_000 }, async () => {
    const { env, realKey, desk } = await busyDesk();
    expect(desk.audit.verify()).toMatchObject({ ok: true, pinnedTo: 'vault' });
    desk.close();
    const { removed } = rewriteLog(env.CUSTODY_HOME!);
    expect(removed).toBeGreaterThanOrEqual(2);

    const withVault = await runCli(['audit', 'verify', '--json'], env);
    expect(withVault.code, withVault.stderr).toBe(1);
    const r1 = JSON.parse(withVault.stdout) as { pinnedTo: string; firstBad: { seq: number; kind: string; message: string }; keys: { publicKey: string }[] };
    expect(r1.pinnedTo).toBe('vault');
    expect(r1.keys.map((k) => k.publicKey)).toEqual([realKey]); // the fresh key in signing_keys is not held by the vault
    expect(r1.firstBad).toMatchObject({ seq: 1, kind: 'untrusted_key', message: expect.stringMatching(/a key that appears only inside the log is never trusted/) });

    const { CUSTODY_PASSPHRASE: _, ...locked } = env;
    const pinned = await runCli(['audit', 'verify', '--trust-key', realKey], locked);
    expect(pinned.code, pinned.stderr).toBe(1);
    expect(pinned.stdout).toMatch(/^audit log BROKEN at entry 1: entry 1 names key [0-9a-f]{16} .* but it is not one of the org's keys \(those --trust-key names\)/);

    const unpinned = await runCli(['audit', 'verify'], locked);
    expect(unpinned.code).toBe(1);
    expect(unpinned.stdout).toMatch(/^audit log NOT VERIFIED: expected the org's signing keys from the vault \(unlock it\) or from --trust-key, got neither/);
  });

  it('--trust-key narrows what the vault holds and never adds to it', async () => {
    const { desk } = await busyDesk();
    const other = hex(generateKeyPair().publicKey);
    expect(desk.audit.verify({ trustKeys: [desk.keys()[0]!.publicKey] }).ok).toBe(true);
    const narrowed = desk.audit.verify({ trustKeys: [other] });
    expect(narrowed).toMatchObject({ ok: false, pinnedTo: 'vault', keys: [] });
    expect(narrowed.firstBad?.kind).toBe('untrusted_key');
    desk.close();
  });
});

describe('entries written while the vault is locked', () => {
  async function lockedWithPending(): Promise<{ home: string; n: number }> {
    const { env, desk } = await busyDesk();
    desk.close();
    const locked = Desk.open(env.CUSTODY_HOME!, { passwordParams: CHEAP_SCRYPT });
    for (const name of ['ed', 'cy', 'ada']) await locked.directory.authenticate(name, 'a wrong guess').catch(() => undefined);
    const n = [...auditEntries(locked.store)].length;
    expect([...auditEntries(locked.store)].slice(-3).map((e) => [e.action, e.signature, typeof e.pendingMac])).toEqual(Array(3).fill(['auth.login_failed', null, 'string']));
    locked.close();
    return { home: env.CUSTODY_HOME!, n };
  }

  const unlock = async (home: string) => {
    const d = Desk.open(home, { passwordParams: CHEAP_SCRYPT });
    await d.unlock(new PassphraseProtector('correct horse battery staple', CHEAP_SCRYPT));
    return d;
  };

  it('are signed at the next unlock when their seals hold', async () => {
    const { home, n } = await lockedWithPending();
    const d = await unlock(home);
    const r = d.audit.verify();
    expect(r).toMatchObject({ ok: true, entries: n, sealed: n, pending: null });
    d.close();
  });

  it('a pending entry rewritten (and the chain and unsigned head moved to match) is never signed', async () => {
    const { home, n } = await lockedWithPending();
    const db = attackerDb(home);
    const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as RawEntry[];
    // The failed login of ada becomes one of nobody's; the attacker has the current ratchet key and uses it.
    const { key, epoch, next_index: next } = db.prepare('SELECT key, epoch, next_index FROM audit_pending_key').get() as { key: Buffer; epoch: string; next_index: number };
    rows[n - 1] = { ...rows[n - 1]!, subject: 'nobody' };
    const out = rechain(db, rows, (r, body) => (r.signature !== null ? { keyId: r.key_id, signature: r.signature } : { keyId: null, signature: null, pendingMac: body.seq === n ? pendingMac(key, epoch, next - 1, entryHash(body)) : r.pending_mac }));
    const head = JSON.parse(readFileSync(join(home, AUDIT_HEAD_FILE), 'utf8')) as { head: { seq: number; hash: string } };
    head.head = { ...head.head, hash: out.at(-1)!.hash };
    writeFileSync(join(home, AUDIT_HEAD_FILE), JSON.stringify(head));
    db.close();

    const d = await unlock(home);
    const entries = [...auditEntries(d.store)];
    expect(entries[n - 1]).toMatchObject({ seq: n, subject: 'nobody', signature: null }); // not signed
    expect(entries[n - 2]!.signature).not.toBeNull(); // the two before it checked out and were signed
    expect(entries[n]).toMatchObject({ action: 'audit.pending_rejected', details: { from: n, to: n } });
    const r = d.audit.verify();
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: n, kind: 'forged_pending' });
    // It stays reported: later unlocks do not sign it either.
    d.close();
    const again = await unlock(home);
    expect(again.audit.verify().firstBad).toMatchObject({ seq: n, kind: 'forged_pending' });
    expect([...auditEntries(again.store)][n - 1]!.signature).toBeNull();
    again.close();
  });

  it('the newest pending entries removed (and the unsigned head rolled back) are caught at unlock', async () => {
    const { home, n } = await lockedWithPending();
    const db = attackerDb(home);
    const prev = db.prepare('SELECT seq, hash, at FROM audit_log WHERE seq = ?').get(n - 2) as { seq: number; hash: string; at: string };
    db.prepare('DELETE FROM audit_log WHERE seq > ?').run(n - 2);
    db.prepare('UPDATE audit_pending_key SET next_index = 1').run();
    const head = JSON.parse(readFileSync(join(home, AUDIT_HEAD_FILE), 'utf8')) as { head: unknown };
    head.head = prev;
    writeFileSync(join(home, AUDIT_HEAD_FILE), JSON.stringify(head));
    db.close();
    const d = await unlock(home);
    const r = d.audit.verify();
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.kind)).toContain('forged_pending');
    expect(r.problems.find((p) => p.kind === 'forged_pending')?.message).toMatch(/expected 1 entries written while the vault was locked, got 1 and an audit key that does not follow from them|the newest were removed/);
    d.close();
  });
});

describe('the newest entries removed and the head file rolled back', () => {
  it('is caught by the signed head the database keeps too; a recorded head catches a rollback of both', async () => {
    const { env, desk } = await busyDesk();
    const home = env.CUSTODY_HOME!;
    const oldHead = desk.audit.verify().head!;
    copyFileSync(join(home, AUDIT_HEAD_FILE), join(home, 'old-head.json'));
    const db0 = new Database(join(home, DB_FILE), { readonly: true });
    const oldWitness = db0.prepare('SELECT * FROM audit_witness').get() as Record<string, unknown>;
    db0.close();
    // More happens: a failed login and a comment by the vault holder's session.
    await desk.directory.authenticate('cy', 'wrong guess here').catch(() => undefined);
    desk.comment({ name: 'cy', roles: ['chief'] }, desk.items()[0]!.id, 'this is a fake');
    const recorded = desk.audit.verify().head!; // what an auditor noted (custody audit verify --json)
    desk.close();

    // The attacker cuts the newest entries and puts back the old head file.
    const db = attackerDb(home);
    db.prepare('DELETE FROM audit_log WHERE seq > ?').run(oldHead.seq);
    db.close();
    copyFileSync(join(home, 'old-head.json'), join(home, AUDIT_HEAD_FILE));
    const d = Desk.open(home);
    const r = d.audit.verify({ trustKeys: [d.keys()[0]!.publicKey] });
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: oldHead.seq + 1, kind: 'truncated', message: expect.stringMatching(/the database's copy of the signed head/) });
    d.close();

    // The desk goes on working with the vault open (new entries take the removed numbers): the evidence stays.
    const busy = Desk.open(home, { passwordParams: CHEAP_SCRYPT });
    await busy.unlock(new PassphraseProtector(env.CUSTODY_PASSPHRASE!, CHEAP_SCRYPT));
    busy.comment({ name: 'cy', roles: ['chief'] }, busy.items()[0]!.id, 'a comment after the cut');
    busy.comment({ name: 'cy', roles: ['chief'] }, busy.items()[0]!.id, 'and another one');
    busy.comment({ name: 'cy', roles: ['chief'] }, busy.items()[0]!.id, 'and a third');
    expect(busy.audit.verify().problems.map((p) => p.kind)).toContain('checkpoint_mismatch');
    busy.close();

    // Rolling back the database's copy as well (and the entries written since) leaves only what was recorded outside the desk.
    const db2 = attackerDb(home);
    db2.prepare('DELETE FROM audit_log WHERE seq > ?').run(oldHead.seq);
    copyFileSync(join(home, 'old-head.json'), join(home, AUDIT_HEAD_FILE));
    db2.prepare('UPDATE audit_witness SET seq = @seq, hash = @hash, key_id = @key_id, signature = @signature').run(oldWitness);
    db2.close();
    const d2 = Desk.open(home);
    const trust = [d2.keys()[0]!.publicKey];
    expect(d2.audit.verify({ trustKeys: trust }).ok).toBe(true); // the residual risk the README names
    expect(d2.audit.verify({ trustKeys: trust, knownHead: recorded }).firstBad).toMatchObject({ kind: 'truncated', seq: oldHead.seq + 1 });
    d2.close();
  });
});
