// The desk's time-stamps (issue 14 §3): the configured TSA and the TSA roots it is judged against, the add-on each
// signature gets when a TSA is configured, and the queue of records whose TSA did not answer at signing.
// A queued stamp is obtained later over the very bytes the embedded one would have covered and kept with the record:
// the manifest already in the file cannot change (its bytes are hashed and signed), so such a stamp is shown by
// `custody verify` on this desk, not by other C2PA readers.
import { parseChainPem } from '../c2pa/certificates.ts';
import { checkTsaUrl, requestTimestamp, tsaAddOn, type StampOutcome, type TimestampAddOn, type TsaRequestOptions } from '../c2pa/timestamp.ts';
import { parseToken } from '../c2pa/timestamp-token.ts';
import { CustodyError } from '../errors.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { getSetting, setSetting } from '../store/settings.ts';

export const TSA_URL = 'tsa.url';
export const TSA_ANCHORS = 'tsa.anchors';
/** First retry after 30 s, doubling up to 6 h: a TSA that is down for a day is asked a few dozen times. */
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 6 * 3_600_000;

export type StampedManifest = 'signed' | 'published';

export function tsaUrl(db: ReadableDB): string | null {
  return getSetting(db, TSA_URL);
}

export function tsaAnchorsPem(db: ReadableDB): string | null {
  return getSetting(db, TSA_ANCHORS);
}

/** Sets (a URL) or clears (null) the TSA; returns what is stored. */
export function setTsaUrl(db: WritableDB, url: string | null): string | null {
  if (url === null) {
    db.run(sql`DELETE FROM settings WHERE key = ${TSA_URL}`);
    return null;
  }
  const checked = checkTsaUrl(url);
  setSetting(db, TSA_URL, checked);
  return checked;
}

/** Replaces the TSA trust anchors (PEM certificates), or clears them (null); returns how many are stored. */
export function setTsaAnchors(db: WritableDB, pem: string | null): number {
  if (pem === null) {
    db.run(sql`DELETE FROM settings WHERE key = ${TSA_ANCHORS}`);
    return 0;
  }
  const certs = parseChainPem(pem);
  setSetting(db, TSA_ANCHORS, certs.map((c) => c.pem).join(''));
  return certs.length;
}

/** The add-on for one signature, or null when no TSA is configured. */
export function timestampAddOnFor(db: ReadableDB, opts: TsaRequestOptions = {}): TimestampAddOn | null {
  const url = tsaUrl(db);
  return url ? tsaAddOn(url, opts) : null;
}

/**
 * Inside the record's (or publication's) transaction: keeps the embedded token, or queues the stamp the TSA did not
 * give. A manifest made again for the same record and purpose (a second publication) replaces the row.
 */
export function recordStampOutcome(db: WritableDB, recordId: string, manifest: StampedManifest, url: string, outcome: StampOutcome, now: Date): void {
  const at = now.toISOString();
  if (outcome.status === 'embedded') {
    const genTime = parseToken(outcome.token).genTime.toISOString();
    db.run(sql`INSERT INTO record_timestamps (record_id, manifest, stamped, tsa_url, token, gen_time, source, next_attempt_at, created_at)
               VALUES (${recordId}, ${manifest}, ${outcome.data}, ${url}, ${outcome.token}, ${genTime}, 'manifest', ${at}, ${at})
               ON CONFLICT (record_id, manifest) DO UPDATE SET stamped = excluded.stamped, tsa_url = excluded.tsa_url, token = excluded.token, gen_time = excluded.gen_time,
                 source = excluded.source, attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, created_at = excluded.created_at`);
  } else {
    db.run(sql`INSERT INTO record_timestamps (record_id, manifest, stamped, tsa_url, token, gen_time, source, attempts, next_attempt_at, last_error, created_at)
               VALUES (${recordId}, ${manifest}, ${outcome.data}, ${url}, NULL, NULL, 'desk', 0, ${at}, ${outcome.reason}, ${at})
               ON CONFLICT (record_id, manifest) DO UPDATE SET stamped = excluded.stamped, tsa_url = excluded.tsa_url, token = excluded.token, gen_time = excluded.gen_time,
                 source = excluded.source, attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, created_at = excluded.created_at`);
  }
}

export interface RecordTimestamp {
  recordId: string;
  manifest: StampedManifest;
  stamped: Uint8Array;
  tsaUrl: string;
  token: Uint8Array | null;
  genTime: string | null;
  source: 'manifest' | 'desk';
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
}

interface Row {
  record_id: string;
  manifest: StampedManifest;
  stamped: Uint8Array;
  tsa_url: string;
  token: Uint8Array | null;
  gen_time: string | null;
  source: 'manifest' | 'desk';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
}

const fromRow = (r: Row): RecordTimestamp => ({
  recordId: r.record_id,
  manifest: r.manifest,
  stamped: new Uint8Array(r.stamped),
  tsaUrl: r.tsa_url,
  token: r.token ? new Uint8Array(r.token) : null,
  genTime: r.gen_time,
  source: r.source,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
});

/** The time-stamps the desk holds for a record (embedded copies and later ones, pending included). */
export function recordTimestamps(db: ReadableDB, recordId: string): RecordTimestamp[] {
  return db.all<Row>(sql`SELECT * FROM record_timestamps WHERE record_id = ${recordId} ORDER BY manifest`).map(fromRow);
}

export function pendingTimestamps(db: ReadableDB): RecordTimestamp[] {
  return db.all<Row>(sql`SELECT * FROM record_timestamps WHERE token IS NULL ORDER BY next_attempt_at, record_id`).map(fromRow);
}

export interface StampRun {
  stamped: { recordId: string; manifest: StampedManifest; genTime: string }[];
  failed: { recordId: string; manifest: StampedManifest; error: string; nextAttemptAt: string }[];
  /** Pending but not yet due (back-off). */
  waiting: number;
}

/**
 * Asks the configured TSA for every pending stamp that is due (`all`: due or not), oldest first. A failure pushes
 * the row's next attempt back (30 s doubling to 6 h); the first failure of a run stops it, since the TSA is
 * evidently down. `onStamped` runs inside the row's transaction (the audit entry).
 */
export async function stampPending(
  db: WritableDB,
  opts: { now?: () => Date; all?: boolean; request?: TsaRequestOptions; onStamped?: (r: { recordId: string; manifest: StampedManifest; genTime: string; tsaUrl: string }) => void } = {},
): Promise<StampRun> {
  const now = opts.now ?? (() => new Date());
  const url = tsaUrl(db);
  const run: StampRun = { stamped: [], failed: [], waiting: 0 };
  const pending = pendingTimestamps(db);
  if (!url) {
    if (pending.length > 0) throw new CustodyError('INVALID_ARGUMENT', `expected a TSA to stamp ${pending.length} pending record(s) with, got none configured (custody settings set tsa URL)`);
    return run;
  }
  for (const p of pending) {
    if (!opts.all && Date.parse(p.nextAttemptAt) > now().getTime()) {
      run.waiting++;
      continue;
    }
    try {
      const token = await requestTimestamp(url, p.stamped, opts.request);
      const genTime = parseToken(token).genTime.toISOString();
      db.transaction(() => {
        db.run(sql`UPDATE record_timestamps SET token = ${token}, gen_time = ${genTime}, tsa_url = ${url}, attempts = attempts + 1, last_error = NULL
                   WHERE record_id = ${p.recordId} AND manifest = ${p.manifest} AND token IS NULL`);
        opts.onStamped?.({ recordId: p.recordId, manifest: p.manifest, genTime, tsaUrl: url });
      });
      run.stamped.push({ recordId: p.recordId, manifest: p.manifest, genTime });
    } catch (e) {
      if (!(e instanceof CustodyError) || e.code !== 'TSA_UNREACHABLE') throw e;
      const next = new Date(now().getTime() + Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** p.attempts)).toISOString();
      db.run(sql`UPDATE record_timestamps SET attempts = attempts + 1, next_attempt_at = ${next}, last_error = ${e.message}
                 WHERE record_id = ${p.recordId} AND manifest = ${p.manifest}`);
      run.failed.push({ recordId: p.recordId, manifest: p.manifest, error: e.message, nextAttemptAt: next });
      run.waiting += pending.length - pending.indexOf(p) - 1;
      break;
    }
  }
  return run;
}
