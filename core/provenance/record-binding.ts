// Which file hashes a record's signed data vouch for. The records table keeps a record's original and output hashes
// as plain columns; the signature covers the original's in its fingerprint (`sha256|phash|timestamp|signer`), and the
// output's is in the record's `record.signed` audit entry, whose hash chain `custody audit verify` checks. Verify takes
// a column's word only where it agrees with those: someone who can write the desk's database and sets a record's
// output hash to another file's must not make that file read as the signed one.
import { signedEntry } from '../audit/log.ts';
import { sql, type ReadableDB } from '../store/db.ts';
import type { SignedRecord } from '../store/records.ts';

export interface VouchedHashes {
  /** the original's SHA-256 as the signed fingerprint gives it (null when the column disagrees with it) */
  original: string | null;
  /** the signed output's SHA-256 as the record's audit entry gives it (null when the column disagrees, or none) */
  output: string | null;
}

export function vouchedHashes(db: ReadableDB, record: SignedRecord): VouchedHashes {
  const original = record.fingerprint.split('|')[0] === record.sha256 ? record.sha256 : null;
  if (record.outputSha256 === null) return { original, output: null };
  const entry = signedEntry(db, record.id);
  // a record with no entry of its own (signed before the audit log named outputs) keeps its column's word: removing
  // an entry breaks the log's hash chain, which `custody audit verify` reports
  const logged = entry ? entry.details.outputSha256 : record.outputSha256;
  return { original, output: logged === record.outputSha256 ? record.outputSha256 : null };
}

/** Whether `sha256` is a file the record's signed data vouch for: its original or its signed output. */
export function vouchesFor(db: ReadableDB, record: SignedRecord, sha256: string): boolean {
  const h = vouchedHashes(db, record);
  return h.original === sha256 || h.output === sha256;
}

/**
 * Every record row against what was signed of it (`custody audit verify`): its original's hash against its signed
 * fingerprint, and both hashes against its `record.signed` audit entry. A row changed behind the desk's back shows
 * here, as a changed entry shows in the log's hash chain.
 */
export function checkRecordRows(db: ReadableDB): { records: number; problems: { recordId: string; problem: string }[] } {
  // only the record.signed entries, not the whole log again (audit verify has just read it for its hash chain)
  const logged = new Map<string, Record<string, unknown>>();
  for (const e of db.all<{ subject: string; details: string }>(sql`SELECT subject, details FROM audit_log WHERE action = 'record.signed' AND subject IS NOT NULL ORDER BY seq`)) {
    logged.set(e.subject, JSON.parse(e.details) as Record<string, unknown>);
  }
  const rows = db.all<{ id: string; sha256: string; output_sha256: string | null; fingerprint: string }>(sql`SELECT id, sha256, output_sha256, fingerprint FROM records ORDER BY signed_at, id`);
  const problems: { recordId: string; problem: string }[] = [];
  for (const r of rows) {
    if (r.fingerprint.split('|')[0] !== r.sha256) problems.push({ recordId: r.id, problem: `its original's hash ${r.sha256.slice(0, 16)}… is not the one its signature covers` });
    const d = logged.get(r.id);
    if (d && (d.sha256 !== r.sha256 || (d.outputSha256 ?? null) !== r.output_sha256)) {
      problems.push({ recordId: r.id, problem: `its hashes are not those its record.signed audit entry logged (output ${String(r.output_sha256).slice(0, 16)}…, logged ${String(d.outputSha256).slice(0, 16)}…)` });
    }
  }
  return { records: rows.length, problems };
}
