// Placing a signed output so that a crash at any moment leaves either nothing or the record, its audit entry and
// the file — never a signed file that no record names (issue 13 §6). The order:
//
//   1. an intent row names the temporary file (and the process writing it)         crash: temp file, no record
//   2. the bytes are written to the temporary file (hashed as they are written:
//      they must be the record's outputSha256, or nothing is committed) and flushed crash: temp file, no record
//   3. one transaction: the record (pointing at the final name), its audit entry,
//      whatever joins it (watch job, workflow submission)                           crash: record, temp, no final file
//   4. the temporary file is linked to the final name (link fails if the name is
//      taken, so nothing is overwritten)                                            crash: record, both names
//   5. the temporary file is removed                                                crash: record, final, intent
//   6. the intent row is deleted: placed
//
// recoverPlacements() (run when a desk is opened) finishes or undoes whatever a dead process left: an intent
// without its record loses its temporary file; a record whose file is not in place yet gets it linked now, or,
// if its bytes are gone, is marked as having lost its output, with an audit entry either way.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, linkSync, openSync, readSync, rmSync } from 'node:fs';
import { link, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crashPoint } from '../crash-point.ts';
import { CustodyError } from '../errors.ts';
import { sql, type WritableDB } from '../store/db.ts';
import { processAlive } from '../store/scratch.ts';
import { exists, makeOutputDir, variantPath, writeNewFile, type OutputContent, type OutputTarget } from './output.ts';

/** Where `custody sign` can be killed by the crash tests, in the order they are reached. */
export const SIGN_CRASH_POINTS = ['sign:intent', 'sign:temp-written', 'sign:committed', 'sign:linked', 'sign:temp-removed'] as const;

async function firstFree(dir: string, name: string, from = 1): Promise<{ path: string; i: number }> {
  for (let i = from; ; i++) if (!(await exists(variantPath(dir, name, i)))) return { path: variantPath(dir, name, i), i };
}

const ioError = (path: string, e: unknown) => new CustodyError('IO_ERROR', `expected to write ${path}, but the file system refused: ${(e as Error).message}`);

/**
 * Places a signed output for record `recordId` in the order above. The bytes written must hash to `outputSha256`,
 * the record's: otherwise nothing is committed (INTEGRITY_FAILED). `commit(finalPath)` runs the record's
 * transaction; if it throws, nothing is left behind. Returns the final path (a free variant of the name if it
 * was taken meanwhile; the record is updated to match).
 */
export async function placeSignedOutput(db: WritableDB, target: OutputTarget, content: OutputContent, recordId: string, outputSha256: string, commit: (finalPath: string) => void): Promise<string> {
  await makeOutputDir(target.dir);
  const tmp = join(target.dir, `.${target.name}.${recordId}.part`);
  db.run(sql`INSERT INTO output_intents (temp_path, record_id, pid, created_at) VALUES (${tmp}, ${recordId}, ${process.pid}, ${new Date().toISOString()})`);
  const abandon = async () => {
    await rm(tmp, { force: true });
    db.run(sql`DELETE FROM output_intents WHERE temp_path = ${tmp}`);
  };
  crashPoint('sign:intent');
  let final: { path: string; i: number };
  let written: string;
  try {
    written = await writeNewFile(tmp, content);
    crashPoint('sign:temp-written');
    final = await firstFree(target.dir, target.name);
  } catch (e) {
    await abandon();
    throw ioError(join(target.dir, target.name), e);
  }
  // What was signed is what is placed, or nothing is (a snapshot changed under the desk, a disk returning other bytes).
  if (written !== outputSha256) {
    await abandon();
    throw new CustodyError(
      'INTEGRITY_FAILED',
      `expected the signed output ${final.path} to hash to the record's SHA-256 ${outputSha256}, got ${written}: its bytes changed after they were signed, so nothing was placed or recorded`,
      { output: final.path, expected: outputSha256, got: written },
    );
  }
  try {
    commit(final.path);
  } catch (e) {
    await abandon();
    throw e;
  }
  crashPoint('sign:committed');
  // From here the record stands: a failure leaves the intent, and the next open of the desk finishes the placement.
  try {
    for (;;) {
      try {
        await link(tmp, final.path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // Someone took the name after it was chosen: the next free one, and the record follows.
        final = await firstFree(target.dir, target.name, final.i + 1);
        db.run(sql`UPDATE records SET output_path = ${final.path} WHERE id = ${recordId}`);
      }
    }
    crashPoint('sign:linked');
    await rm(tmp, { force: true });
    crashPoint('sign:temp-removed');
  } catch (e) {
    throw ioError(final.path, e);
  }
  db.run(sql`DELETE FROM output_intents WHERE temp_path = ${tmp}`);
  return final.path;
}

function sha256OfFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
    return h.digest('hex');
  } finally {
    closeSync(fd);
  }
}

export type PlacementRecovery =
  | { recordId: string; outcome: 'placed'; output: string }
  | { recordId: string; outcome: 'lost'; output: string | null };

/**
 * Finishes or undoes the placements of processes that died (see the top of this file). Placements of processes
 * still running (this one included) are left to them. Returns what it did to records, for the audit log.
 */
export function recoverPlacements(db: WritableDB): PlacementRecovery[] {
  const done: PlacementRecovery[] = [];
  const intents = db.all<{ temp_path: string; record_id: string; pid: number }>(sql`SELECT temp_path, record_id, pid FROM output_intents ORDER BY created_at`);
  for (const i of intents) {
    if (i.pid === process.pid || processAlive(i.pid)) continue;
    const rec = db.get<{ output_path: string | null; output_sha256: string | null }>(sql`SELECT output_path, output_sha256 FROM records WHERE id = ${i.record_id}`);
    const forget = () => {
      rmSync(i.temp_path, { force: true });
      db.run(sql`DELETE FROM output_intents WHERE temp_path = ${i.temp_path}`);
    };
    if (!rec) {
      forget(); // died before its record committed: nothing was signed
      continue;
    }
    if (rec.output_path && rec.output_sha256 && sha256OfFile(rec.output_path) === rec.output_sha256) {
      forget(); // died after the link: only the temporary name was left
      continue;
    }
    if (rec.output_sha256 && sha256OfFile(i.temp_path) === rec.output_sha256) {
      const name = basename(rec.output_path ?? i.temp_path);
      const dir = dirname(i.temp_path);
      let path = rec.output_path ?? join(dir, name);
      for (let n = 2; existsSync(path); n++) path = variantPath(dir, name, n);
      linkSync(i.temp_path, path);
      db.transaction(() => {
        db.run(sql`UPDATE records SET output_path = ${path} WHERE id = ${i.record_id}`);
        forget();
      });
      done.push({ recordId: i.record_id, outcome: 'placed', output: path });
      continue;
    }
    // The bytes are gone (the temporary file was removed or changed by someone else): the record says so.
    db.transaction(() => {
      db.run(sql`UPDATE records SET output_path = NULL WHERE id = ${i.record_id}`);
      forget();
    });
    done.push({ recordId: i.record_id, outcome: 'lost', output: rec.output_path });
  }
  return done;
}
