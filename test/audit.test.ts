// The audit log proves its own history: each kind of tampering is detected and named at the first bad entry.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/audit/canonical-json.ts';
import { AUDIT_HEAD_FILE, readCheckpoint } from '../core/audit/checkpoint.ts';
import { entryHash, entrySigningMessage, type AuditEntry } from '../core/audit/entry.ts';
import { csvCell, exportLines, parseJsonl } from '../core/audit/export.ts';
import { auditEntries } from '../core/audit/log.ts';
import { verifyAuditEntries } from '../core/audit/verify.ts';
import { generateKeyPair, keyId, sign } from '../core/crypto/ed25519.ts';
import type { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { addUsers, fakeSignedItem, testDesk, type TestDesk } from './helpers/workflow-desk.ts';

describe('canonical JSON (RFC 8785)', () => {
  it('matches the RFC 8785 §3.2.2 example', () => {
    const input = JSON.parse('{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}');
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts members by UTF-16 code units (RFC 8785 §3.2.3)', () => {
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    const keys = Object.keys(JSON.parse(canonicalJson(input)) as object);
    // JSON.parse keeps integer-like keys first, so compare the canonical text's order instead.
    const order = [...canonicalJson(input).matchAll(/"([^"]*)":"([^"]*)"/g)].map((m) => m[2]);
    expect(order).toEqual(['Carriage Return', 'One', 'Control', 'Latin Small Letter O With Diaeresis', 'Euro Sign', 'Emoji: Grinning Face', 'Hebrew Letter Dalet With Dagesh']);
    expect(keys).toHaveLength(7);
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', { a: Infinity }],
    ['a lone surrogate', { a: '\ud800' }],
    ['undefined in an array', [1, undefined]],
    ['a Date', { d: new Date(0) }],
    ['a bigint', { n: 1n }],
  ])('refuses %s', (_name, v) => {
    expect(() => canonicalJson(v)).toThrow(/^canonical JSON: expected /);
  });
});

/** What an attacker with the database (not the vault) can do: drop the append-only triggers and write. */
function tamper(desk: Desk, script: string): void {
  desk.store.exec('PRAGMA foreign_keys = OFF; DROP TRIGGER IF EXISTS audit_log_no_delete; DROP TRIGGER IF EXISTS audit_log_no_edit; DROP TRIGGER IF EXISTS audit_log_seal_once;');
  desk.store.exec(script);
}

const entries = (desk: Desk): AuditEntry[] => [...auditEntries(desk.store)];
const orgKeyOf = (desk: Desk): string => desk.keys()[0]!.publicKey;

describe('the audit log', () => {
  let t: TestDesk;
  let desk: Desk;
  let n: number;

  beforeEach(async () => {
    t = await testDesk();
    desk = t.desk;
    const people = await addUsers(desk, t.admin, { ed: ['editor'], cy: ['chief', 'editor'] });
    const item = fakeSignedItem(desk);
    desk.workflow.submit(people.ed!, item.id);
    desk.workflow.approve(people.cy!, item.id);
    desk.workflow.approve(people.cy!, item.id);
    n = entries(desk).length;
    expect(n).toBeGreaterThanOrEqual(10);
  });

  it('is intact after real acts: chained, every entry signed by the desk key, the checkpoint at the head', () => {
    const r = desk.audit.verify();
    expect(r).toMatchObject({ ok: true, entries: n, sealed: n, pending: null, firstBad: null, problems: [] });
    expect(r.head?.seq).toBe(n);
    expect(r.checkpoint).toEqual({ seq: n, signedSeq: n });
    expect(r.keys.map((k) => k.keyId)).toEqual(desk.keys().map((k) => k.id));
    const list = entries(desk);
    expect(list[0]).toMatchObject({ seq: 1, action: 'audit.started', prevHash: '0'.repeat(64) });
    expect(list.map((e) => e.action)).toEqual(expect.arrayContaining(['desk.created', 'key.created', 'user.created', 'workflow.submit', 'workflow.approve']));
    for (const [i, e] of list.entries()) {
      expect(e.seq).toBe(i + 1);
      expect(e.hash).toBe(entryHash(e));
      if (i > 0) expect(e.prevHash).toBe(list[i - 1]!.hash);
    }
  });

  it('refuses edits and deletes through its triggers', () => {
    expect(() => desk.store.run(sql`DELETE FROM audit_log WHERE seq = ${n}`)).toThrow(/append-only: entries cannot be deleted/);
    expect(() => desk.store.run(sql`UPDATE audit_log SET actor = 'mallory' WHERE seq = 3`)).toThrow(/append-only: entries cannot be changed/);
    expect(() => desk.store.run(sql`UPDATE audit_log SET signature = ${'00'.repeat(64)} WHERE seq = 3`)).toThrow(/cannot be re-signed/);
  });

  it('detects an entry edited in place', () => {
    tamper(desk, `UPDATE audit_log SET details = replace(details, '"editor"', '"admin"') WHERE seq = 6`);
    const r = desk.audit.verify();
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 6, kind: 'changed' });
    expect(r.firstBad?.message).toMatch(/^entry 6 \(user\.created\) was changed: expected its contents to hash to /);
    expect(r.problems).toHaveLength(1);
  });

  it('detects an entry edited and rehashed: its signature fails and the next link breaks', () => {
    const e = entries(desk)[6]!;
    const forged = { ...e, actor: 'mallory' };
    tamper(desk, `UPDATE audit_log SET actor = 'mallory', hash = '${entryHash(forged)}' WHERE seq = ${e.seq}`);
    const r = desk.audit.verify();
    expect(r.firstBad).toMatchObject({ seq: e.seq, kind: 'bad_signature' });
    expect(r.problems.map((p) => [p.seq, p.kind])).toEqual([[e.seq, 'bad_signature'], [e.seq + 1, 'unlinked']]);
  });

  it('detects a deletion from the middle', () => {
    tamper(desk, 'DELETE FROM audit_log WHERE seq = 5');
    const r = desk.audit.verify();
    expect(r.firstBad).toMatchObject({ seq: 5, kind: 'missing' });
    expect(r.firstBad?.message).toBe('expected entry 5 next, got entry 6: entry 5 was removed');
    expect(r.problems.map((p) => p.kind)).toEqual(['missing', 'unlinked']);
  });

  it('detects the newest entries removed, through the head checkpoint', () => {
    tamper(desk, `DELETE FROM audit_log WHERE seq > ${n - 2}`);
    const r = desk.audit.verify();
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: n - 1, kind: 'truncated' });
    expect(r.firstBad?.message).toMatch(new RegExp(`entries ${n - 1}–${n} were removed`));
  });

  it('detects tail removal even when the unsigned head of the checkpoint is rolled back to match', () => {
    const path = join(t.home, AUDIT_HEAD_FILE);
    const list = entries(desk);
    tamper(desk, `DELETE FROM audit_log WHERE seq > ${n - 2}`);
    const c = JSON.parse(readFileSync(path, 'utf8')) as { head: { seq: number; hash: string } };
    c.head = { ...c.head, seq: n - 2, hash: list[n - 3]!.hash };
    writeFileSync(path, JSON.stringify(c));
    const r = desk.audit.verify();
    expect(r.firstBad).toMatchObject({ seq: n - 1, kind: 'truncated' });
    expect(r.firstBad?.message).toMatch(/signed head checkpoint/);
  });

  it('detects a missing checkpoint', () => {
    rmSync(join(t.home, AUDIT_HEAD_FILE));
    const r = desk.audit.verify();
    expect(r.firstBad).toMatchObject({ kind: 'checkpoint_missing' });
  });

  it('detects a checkpoint deleted, the tail cut, and a fresh unsigned checkpoint written by a locked desk', async () => {
    rmSync(join(t.home, AUDIT_HEAD_FILE));
    tamper(desk, `DELETE FROM audit_log WHERE seq > ${n - 2}`);
    desk.close();
    const locked = await t.reopen();
    await locked.verify('/nonexistent.jpg').catch(() => undefined);
    await expect(locked.directory.authenticate('ada', 'wrong-tidal-lantern-42')).rejects.toThrow();
    const r = locked.audit.verify({ trustKeys: [orgKeyOf(locked)] });
    expect(r.firstBad).toMatchObject({ kind: 'checkpoint_invalid' });
    expect(r.firstBad?.message).toMatch(/carry a signed head/);
    locked.close();
    desk = await t.reopen({ unlock: true });
  });

  it('detects reordering: seq is part of what is hashed', () => {
    tamper(desk, 'UPDATE audit_log SET seq = -1 WHERE seq = 7; UPDATE audit_log SET seq = 7 WHERE seq = 8; UPDATE audit_log SET seq = 8 WHERE seq = -1;');
    const r = desk.audit.verify();
    expect(r.firstBad).toMatchObject({ seq: 7, kind: 'changed' });
    expect(r.problems.map((p) => [p.seq, p.kind])).toEqual([[7, 'changed'], [8, 'changed'], [9, 'unlinked']]);
  });

  it('detects a stripped signature (an entry passed off as pending)', () => {
    tamper(desk, 'UPDATE audit_log SET key_id = NULL, signature = NULL WHERE seq = 4');
    const r = desk.audit.verify();
    expect(r.firstBad).toMatchObject({ seq: 4, kind: 'unsealed' });
  });

  it('detects a log rewritten from the start under another key, against the checkpoint and a trusted key', () => {
    const orgKey = desk.keys()[0]!.publicKey;
    const mallory = generateKeyPair();
    const mid = keyId(mallory.publicKey);
    const forged: AuditEntry[] = [];
    for (const e of entries(desk)) {
      const body = { ...e, prevHash: forged.at(-1)?.hash ?? '0'.repeat(64), details: e.seq === 1 ? { keys: [{ id: mid, publicKey: Buffer.from(mallory.publicKey).toString('hex') }] } : e.details };
      const hash = entryHash(body);
      forged.push({ ...body, hash, keyId: mid, signature: Buffer.from(sign(entrySigningMessage(hash), mallory.secretKey)).toString('hex') });
    }
    // Checked only against itself, the forgery is consistent: nothing but the lack of a pin gives it away.
    const noCheckpoint = verifyAuditEntries(forged, { status: 'absent' });
    expect(noCheckpoint.problems.map((p) => p.kind)).toEqual(['unpinned', 'checkpoint_missing']);
    expect(verifyAuditEntries(forged, readCheckpoint(join(t.home, AUDIT_HEAD_FILE)), { trustKeys: [orgKey] }).problems.map((p) => p.kind)).toContain('checkpoint_mismatch');
    const pinned = verifyAuditEntries(forged, { status: 'absent' }, { trustKeys: [orgKey] });
    expect(pinned.firstBad).toMatchObject({ seq: 1, kind: 'untrusted_key' });
    expect(verifyAuditEntries(entries(desk), readCheckpoint(join(t.home, AUDIT_HEAD_FILE)), { trustKeys: [orgKey] }).ok).toBe(true);
  });

  it('a key not introduced in the log cannot sign entries', () => {
    const stranger = generateKeyPair();
    const list = entries(desk);
    const last = list.at(-1)!;
    list[list.length - 1] = { ...last, keyId: keyId(stranger.publicKey), signature: Buffer.from(sign(entrySigningMessage(last.hash), stranger.secretKey)).toString('hex') };
    expect(verifyAuditEntries(list, { status: 'absent' }, { trustKeys: [desk.keys()[0]!.publicKey] }).firstBad).toMatchObject({ seq: last.seq, kind: 'untrusted_key' });
  });
});

describe('entries written while the vault is locked', () => {
  it('are chained at once, reported as pending, and sealed at the next unlock', async () => {
    const t = await testDesk();
    const n = entries(t.desk).length;
    t.desk.close();
    const locked = await t.reopen();
    await expect(locked.directory.authenticate('ada', 'not the password')).rejects.toMatchObject({ code: 'NOT_AUTHENTICATED' });
    const pending = locked.audit.verify({ trustKeys: [orgKeyOf(locked)] });
    expect(pending).toMatchObject({ ok: true, entries: n + 1, sealed: n, pending: { from: n + 1, to: n + 1, checked: false } });
    // Without the vault or a key named by the auditor, nothing pins the keys: never "intact".
    expect(locked.audit.verify()).toMatchObject({ ok: false, pinnedTo: 'none', firstBad: { seq: 0, kind: 'unpinned' } });
    expect(pending.checkpoint).toEqual({ seq: n + 1, signedSeq: n });
    expect(entries(locked).at(-1)).toMatchObject({ action: 'auth.login_failed', actor: 'anonymous', subject: 'ada', signature: null });
    locked.close();

    const unlocked = await t.reopen({ unlock: true });
    const sealed = unlocked.audit.verify();
    expect(sealed).toMatchObject({ ok: true, sealed: n + 1, pending: null, checkpoint: { seq: n + 1, signedSeq: n + 1 } });
    unlocked.close();
  });

  it('a pending entry removed from the tail still shows against the unsigned head', async () => {
    const t = await testDesk();
    t.desk.close();
    const locked = await t.reopen();
    await expect(locked.directory.authenticate('nobody', 'x-tidal-lantern-42')).rejects.toThrow();
    const n = entries(locked).length;
    tamper(locked, `DELETE FROM audit_log WHERE seq = ${n}`);
    expect(locked.audit.verify({ trustKeys: [orgKeyOf(locked)] }).firstBad).toMatchObject({ seq: n, kind: 'truncated' });
    locked.close();
  });
});

describe('atomicity', () => {
  it('an act that fails leaves neither its row nor its audit entry', async () => {
    const { desk } = await testDesk();
    const before = entries(desk).length;
    await expect(desk.directory.addUser({ name: 'ada', roles: ['admin'] }, { name: 'ada', roles: 'editor', password: 'quiet-harbour-sleeps-42' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() =>
      desk.audit.act(() => {
        desk.audit.append({ actor: 'ada', action: 'test.act', at: new Date().toISOString() });
        throw new Error('the act failed');
      }),
    ).toThrow('the act failed');
    expect(entries(desk).length).toBe(before);
    expect(desk.audit.verify().ok).toBe(true);
  });
});

describe('export', () => {
  it('JSON Lines round-trips and verifies offline; CSV quotes and defuses formulas', async () => {
    const { desk, home } = await testDesk();
    await addUsers(desk, { name: 'ada', roles: ['admin'] }, { ed: ['editor'] });
    const jsonl = [...exportLines(auditEntries(desk.store), 'jsonl')].join('\n');
    const parsed = parseJsonl(jsonl);
    expect(parsed).toEqual(entries(desk));
    expect(verifyAuditEntries(parsed, readCheckpoint(join(home, AUDIT_HEAD_FILE)), { trustKeys: [orgKeyOf(desk)] }).ok).toBe(true);

    const csv = [...exportLines(auditEntries(desk.store), 'csv')];
    expect(csv[0]).toBe('seq,at,actor,action,subject,details,prev_hash,hash,key_id,signature');
    expect(csv).toHaveLength(parsed.length + 1);
    expect(csv[1]).toMatch(/^1,[^,]+,system,audit\.started,,"\{""keys"":\[/);
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell(null)).toBe('');
  });
});
