// The watch queue in the desk database: one row per file taken from a watched folder, moved from state to state
// by small transactions (the state machine is drawn in store/migrations/0005-watch-folders.ts).
import { CustodyError } from '../errors.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import type { SignedRecord } from '../store/records.ts';
import { folderOptions, type WatchFolder, type WatchFolderOptions } from './folders.ts';

export type JobState = 'claimed' | 'staged' | 'signed' | 'placing' | 'done' | 'rejected' | 'duplicate' | 'released';
export type Disposition = 'sign' | 'reject' | 'duplicate';

export const OPEN_STATES: readonly JobState[] = ['claimed', 'staged', 'signed', 'placing'];
export const isOpen = (s: JobState): boolean => OPEN_STATES.includes(s);

export interface WatchJob {
  id: number;
  folderId: string;
  /** Path inside the watched folder, '/'-separated. */
  relPath: string;
  sourcePath: string;
  outDir: string;
  size: number;
  mtimeMs: number;
  /** The folder's options when the file was claimed. */
  options: WatchFolderOptions;
  state: JobState;
  disposition: Disposition | null;
  sha256: string | null;
  stagedPath: string | null;
  recordId: string | null;
  duplicateOf: number | null;
  outputPath: string | null;
  /** Where the original ends: OUT/originals/… when signed, OUT/rejected/… otherwise. */
  originalPath: string | null;
  /** The receipt (signed) or the error note (rejected, duplicate). */
  notePath: string | null;
  error: { code: string; message: string; at: string } | null;
  attempts: number;
  lastError: string | null;
  claimedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface Row {
  id: number;
  folder_id: string;
  rel_path: string;
  source_path: string;
  out_dir: string;
  size: number;
  mtime_ms: number;
  options: string;
  state: JobState;
  disposition: Disposition | null;
  sha256: string | null;
  staged_path: string | null;
  record_id: string | null;
  duplicate_of: number | null;
  output_path: string | null;
  original_path: string | null;
  note_path: string | null;
  error_code: string | null;
  error_message: string | null;
  error_at: string | null;
  attempts: number;
  last_error: string | null;
  claimed_at: string;
  updated_at: string;
  finished_at: string | null;
}

const fromRow = (r: Row): WatchJob => ({
  id: r.id,
  folderId: r.folder_id,
  relPath: r.rel_path,
  sourcePath: r.source_path,
  outDir: r.out_dir,
  size: r.size,
  mtimeMs: r.mtime_ms,
  options: JSON.parse(r.options) as WatchFolderOptions,
  state: r.state,
  disposition: r.disposition,
  sha256: r.sha256,
  stagedPath: r.staged_path,
  recordId: r.record_id,
  duplicateOf: r.duplicate_of,
  outputPath: r.output_path,
  originalPath: r.original_path,
  notePath: r.note_path,
  error: r.error_code && r.error_message && r.error_at ? { code: r.error_code, message: r.error_message, at: r.error_at } : null,
  attempts: r.attempts,
  lastError: r.last_error,
  claimedAt: r.claimed_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

export function getJob(db: ReadableDB, id: number): WatchJob {
  const r = db.get<Row>(sql`SELECT * FROM watch_jobs WHERE id = ${id}`);
  if (!r) throw new CustodyError('NOT_FOUND', `expected watch job ${id}, but there is none`);
  return fromRow(r);
}

export function listJobs(db: ReadableDB, opts: { folderId?: string; open?: boolean; limit?: number } = {}): WatchJob[] {
  const limit = opts.limit ?? 10_000;
  const rows = opts.folderId
    ? db.all<Row>(sql`SELECT * FROM watch_jobs WHERE folder_id = ${opts.folderId} ORDER BY id LIMIT ${limit}`)
    : db.all<Row>(sql`SELECT * FROM watch_jobs ORDER BY id LIMIT ${limit}`);
  const jobs = rows.map(fromRow);
  return opts.open === undefined ? jobs : jobs.filter((j) => isOpen(j.state) === opts.open);
}

export function openJobs(db: ReadableDB, folderId: string): WatchJob[] {
  return db
    .all<Row>(sql`SELECT * FROM watch_jobs WHERE folder_id = ${folderId} AND state IN ('claimed', 'staged', 'signed', 'placing') ORDER BY id`)
    .map(fromRow);
}

/** Counts of jobs per state, for `custody watch-folders list` and the app. */
export function jobCounts(db: ReadableDB, folderId: string): Partial<Record<JobState, number>> {
  const rows = db.all<{ state: JobState; n: number }>(sql`SELECT state, count(*) AS n FROM watch_jobs WHERE folder_id = ${folderId} GROUP BY state`);
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

/** Step 1: claims a settled file by its path; null when that path is already claimed. */
export function claimJob(db: WritableDB, folder: WatchFolder, file: { relPath: string; sourcePath: string; size: number; mtimeMs: number }, now: Date): WatchJob | null {
  return db.transaction(() => {
    const taken = db.get<{ id: number }>(sql`SELECT id FROM watch_jobs WHERE folder_id = ${folder.id} AND rel_path = ${file.relPath} AND state = 'claimed'`);
    if (taken) return null;
    const at = now.toISOString();
    const r = db.run(sql`INSERT INTO watch_jobs (folder_id, rel_path, source_path, out_dir, size, mtime_ms, options, state, claimed_at, updated_at)
      VALUES (${folder.id}, ${file.relPath}, ${file.sourcePath}, ${folder.outDir}, ${file.size}, ${Math.floor(file.mtimeMs)},
        ${JSON.stringify(folderOptions(folder))}, 'claimed', ${at}, ${at})`);
    return getJob(db, Number(r.lastInsertRowid));
  });
}

/** The claimed file is gone or changed before it was taken: the claim ends and the file is discovered afresh. */
export function releaseJob(db: WritableDB, id: number, why: string, now: Date): WatchJob {
  const at = now.toISOString();
  return transition(db, id, 'claimed', () =>
    db.run(sql`UPDATE watch_jobs SET state = 'released', last_error = ${why}, updated_at = ${at}, finished_at = ${at} WHERE id = ${id} AND state = 'claimed'`),
  );
}

/**
 * Step 2: the original is in the staging folder with this SHA-256. Decides what becomes of it: the first file
 * with these bytes in this folder is signed; a later one is set aside as a duplicate.
 */
export function markStaged(db: WritableDB, id: number, sha256: string, stagedPath: string, now: Date): WatchJob {
  const at = now.toISOString();
  return transition(db, id, 'claimed', () => {
    const job = getJob(db, id);
    const first = db.get<{ id: number; rel_path: string; record_id: string | null }>(
      sql`SELECT id, rel_path, record_id FROM watch_jobs WHERE folder_id = ${job.folderId} AND sha256 = ${sha256} AND disposition = 'sign' AND id != ${id}`,
    );
    if (!first) {
      return db.run(sql`UPDATE watch_jobs SET state = 'staged', sha256 = ${sha256}, staged_path = ${stagedPath}, disposition = 'sign',
        updated_at = ${at} WHERE id = ${id} AND state = 'claimed'`);
    }
    const message = `expected a file not yet signed from this folder, got the same bytes (SHA-256 ${sha256.slice(0, 16)}…) as ${first.rel_path}, ${
      first.record_id ? `signed as record ${first.record_id}` : 'taken earlier'
    }`;
    return db.run(sql`UPDATE watch_jobs SET state = 'staged', sha256 = ${sha256}, staged_path = ${stagedPath}, disposition = 'duplicate',
      duplicate_of = ${first.id}, error_code = 'ALREADY_SIGNED', error_message = ${message}, error_at = ${at}, updated_at = ${at}
      WHERE id = ${id} AND state = 'claimed'`);
  });
}

/** The SHA-256 column of an entry set aside unread (a link or a pipe): there are no bytes of it that were read. */
export const UNREAD = '';

/**
 * Step 2, when what arrived in the staging folder is not a file that can be read safely (a link or a pipe swapped
 * in as it was taken): it goes to rejected/ as it is, never read or followed, with this error in its note.
 */
export function markSetAside(db: WritableDB, id: number, stagedPath: string, error: { code: string; message: string }, now: Date): WatchJob {
  const at = now.toISOString();
  return transition(db, id, 'claimed', () =>
    db.run(sql`UPDATE watch_jobs SET state = 'staged', sha256 = ${UNREAD}, staged_path = ${stagedPath}, disposition = 'reject',
      error_code = ${error.code}, error_message = ${error.message}, error_at = ${at}, updated_at = ${at} WHERE id = ${id} AND state = 'claimed'`),
  );
}

/** Step 3, inside the record's own transaction: the record and the job's move to 'signed' commit together or not at all. */
export function linkRecord(db: WritableDB, id: number, record: SignedRecord, now: Date): void {
  const n = db.run(sql`UPDATE watch_jobs SET state = 'signed', record_id = ${record.id}, updated_at = ${now.toISOString()}
    WHERE id = ${id} AND state = 'staged' AND disposition = 'sign' AND sha256 = ${record.sha256}`).changes;
  if (n !== 1) throw new Error(`watch job ${id}: expected it staged for signing with SHA-256 ${record.sha256}, but it is not`);
}

/** Step 3, when the file cannot be signed: it will go to rejected/ with this error. */
export function decideReject(db: WritableDB, id: number, error: { code: string; message: string }, now: Date): WatchJob {
  const at = now.toISOString();
  return transition(db, id, 'staged', () =>
    db.run(sql`UPDATE watch_jobs SET disposition = 'reject', error_code = ${error.code}, error_message = ${error.message}, error_at = ${at},
      updated_at = ${at} WHERE id = ${id} AND state = 'staged' AND disposition = 'sign'`),
  );
}

/** Whether another job already holds one of these final paths. */
export function pathsTaken(db: ReadableDB, paths: readonly string[]): boolean {
  return paths.some((p) => db.get(sql`SELECT 1 AS x FROM watch_jobs WHERE output_path = ${p} OR original_path = ${p} OR note_path = ${p}`) !== undefined);
}

/** Step 4: the final names, chosen once and kept, so that a replay moves each file to the same place. */
export function markPlacing(db: WritableDB, id: number, paths: { outputPath: string | null; originalPath: string; notePath: string }, now: Date): WatchJob {
  const from = getJob(db, id).state;
  if (from !== 'staged' && from !== 'signed') throw new Error(`watch job ${id}: expected state staged or signed, got ${from}`);
  return transition(db, id, from, () =>
    db.run(sql`UPDATE watch_jobs SET state = 'placing', output_path = ${paths.outputPath}, original_path = ${paths.originalPath},
      note_path = ${paths.notePath}, updated_at = ${now.toISOString()} WHERE id = ${id} AND state = ${from}`),
  );
}

/** A final name turned out to be taken by a foreign file: this job uses other names for the files not yet placed. */
export function repath(db: WritableDB, id: number, paths: { outputPath?: string; originalPath?: string; notePath?: string }, now: Date): WatchJob {
  return transition(db, id, 'placing', () =>
    db.run(sql`UPDATE watch_jobs SET output_path = coalesce(${paths.outputPath}, output_path), original_path = coalesce(${paths.originalPath}, original_path),
      note_path = coalesce(${paths.notePath}, note_path), updated_at = ${now.toISOString()} WHERE id = ${id} AND state = 'placing'`),
  );
}

/**
 * Step 5: every file is in its final place. For a signed file the record learns where its original and its
 * signed copy now live, in the same transaction.
 */
export function finishJob(db: WritableDB, id: number, now: Date): WatchJob {
  const at = now.toISOString();
  return transition(db, id, 'placing', () => {
    const job = getJob(db, id);
    switch (job.disposition) {
      case 'sign':
        db.run(sql`UPDATE records SET output_path = ${job.outputPath}, input_path = ${job.originalPath} WHERE id = ${job.recordId}`);
        return db.run(sql`UPDATE watch_jobs SET state = 'done', updated_at = ${at}, finished_at = ${at} WHERE id = ${id} AND state = 'placing'`);
      case 'reject':
        return db.run(sql`UPDATE watch_jobs SET state = 'rejected', updated_at = ${at}, finished_at = ${at} WHERE id = ${id} AND state = 'placing'`);
      case 'duplicate':
        return db.run(sql`UPDATE watch_jobs SET state = 'duplicate', updated_at = ${at}, finished_at = ${at} WHERE id = ${id} AND state = 'placing'`);
      case null:
        throw new Error(`watch job ${id}: expected a disposition before finishing, got none`);
    }
  });
}

/** A failed attempt at the current step: counted and kept for the app; the step is retried. */
export function noteFailure(db: WritableDB, id: number, message: string, now: Date): WatchJob {
  db.run(sql`UPDATE watch_jobs SET attempts = attempts + 1, last_error = ${message}, updated_at = ${now.toISOString()} WHERE id = ${id}`);
  return getJob(db, id);
}

function transition(db: WritableDB, id: number, from: JobState, apply: () => { changes: number }): WatchJob {
  return db.transaction(() => {
    const n = apply().changes;
    if (n !== 1) throw new Error(`watch job ${id}: expected it in state ${from}, but it has moved on (${getJob(db, id).state})`);
    return getJob(db, id);
  });
}
