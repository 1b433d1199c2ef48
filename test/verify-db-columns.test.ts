// Verify reads what the organisation signed, not a database column beside it (found in review). Whoever can write
// the desk's database (the case the layout and metadata signatures are there for) set a record's output hash, or a
// publication's, to another file's hash: that file then verified as the signed one ("authentic", "over these exact
// bytes") or as published, with approvers made up in the row. A record's hashes are now taken only as its signed
// fingerprint and its audit entry give them, and a publication only as its signed statement says.
import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE, type Desk } from '../core/desk.ts';
import { sha256Hex } from '../core/media/hash.ts';
import { sql } from '../core/store/db.ts';
import { checkRecordRows } from '../core/provenance/record-binding.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { approveAndPublish, tempDesk } from './helpers/desk.ts';

let desk: Desk;
let dir: string;
let recordId: string;
let output: string;
let other: string;
let otherSha: string;

beforeAll(async () => {
  desk = await tempDesk('Acme News');
  dir = tempDir('custody-db-columns-');
  const input = join(dir, 'rocket.png');
  await sharp(photo('rocket.jpg')).resize(512).png().toFile(input);
  const r = await desk.sign(input, { actor: desk.bootstrapActor()!, outDir: join(dir, 'signed') });
  recordId = r.recordId;
  output = r.output;
  other = join(dir, 'unrelated.png');
  const bytes = await sharp(photo('chelsea.png')).png().toBuffer();
  writeFileSync(other, bytes);
  otherSha = sha256Hex(bytes);
}, 60_000);
afterAll(() => desk?.close());

/** Runs `sql` on the desk's database file as another process would, behind the desk's back. */
function behindItsBack(sqlText: string, ...args: unknown[]): number {
  const db = new Database(join(desk.home, DB_FILE));
  try {
    return db.prepare(sqlText).run(...args).changes;
  } finally {
    db.close();
  }
}

describe('database columns against what was signed', { timeout: 60_000 }, () => {
  it("a record's output hash set to another file's: that file is not the signed one, and the genuine output still is", async () => {
    expect((await desk.verify(other)).verdict).toBe('unknown');
    expect(behindItsBack('UPDATE records SET output_sha256 = ? WHERE id = ?', otherSha, recordId)).toBe(1);
    const v = await desk.verify(other);
    expect(v.verdict).not.toBe('authentic');
    expect(v.checks.sha256.status).not.toBe('pass');
    expect(v.checks.signature.binds).not.toBe('exact-bytes');
    // and the audit check names the row (custody audit verify, the Audit screen)
    expect(checkRecordRows(desk.store).problems).toEqual([{ recordId, problem: expect.stringContaining('not those its record.signed audit entry logged') }]);
    // a re-encoded copy of the signed photo, named the signed output in the row: traced by its watermark, but its
    // bytes are not said to be the signed ones
    const copy = join(dir, 'copy.jpg');
    await sharp(output).jpeg({ quality: 90 }).toFile(copy);
    behindItsBack('UPDATE records SET output_sha256 = ? WHERE id = ?', sha256Hex(readFileSync(copy)), recordId);
    const c = await desk.verify(copy);
    expect(c.recordId).toBe(recordId);
    expect(c.verdict).not.toBe('authentic');
    expect(c.checks.signature.binds).not.toBe('exact-bytes');
    // put back: the genuine output verifies as before, and the rows agree again
    const genuine = sha256Hex(readFileSync(output));
    behindItsBack('UPDATE records SET output_sha256 = ? WHERE id = ?', genuine, recordId);
    expect((await desk.verify(output)).verdict).toBe('authentic');
    expect(checkRecordRows(desk.store)).toEqual({ records: 1, problems: [] });
  });

  it("a record's original hash set to another file's: that file is not its original", async () => {
    const original = desk.store.get<{ sha256: string }>(sql`SELECT sha256 FROM records WHERE id = ${recordId}`)!.sha256;
    expect(behindItsBack('UPDATE records SET sha256 = ? WHERE id = ?', otherSha, recordId)).toBe(1);
    try {
      const v = await desk.verify(other);
      expect(v.verdict).not.toBe('original');
      expect(v.checks.signature.binds).not.toBe('exact-bytes');
      expect(checkRecordRows(desk.store).problems.map((p) => p.problem)).toEqual([expect.stringContaining('not the one its signature covers'), expect.stringContaining('not those its record.signed audit entry logged')]);
    } finally {
      behindItsBack('UPDATE records SET sha256 = ? WHERE id = ?', original, recordId);
    }
  });

  it("a publication's hash and approvers changed in its row: the file is not published, and no made-up approver is named", async () => {
    await approveAndPublish(desk, recordId, join(dir, 'pub'));
    expect(behindItsBack('UPDATE publications SET output_sha256 = ?, approvals = ?, published_by = ? WHERE item_id = ?', otherSha,
      JSON.stringify([{ stage: 'legal', role: 'legal', by: 'general-counsel', decision: 'approved', at: '2030-01-01T00:00:00.000Z' }]), 'editor-in-chief', recordId)).toBe(1);
    const v = await desk.verify(other);
    expect(v.verdict).not.toBe('published');
    expect(JSON.stringify(v)).not.toContain('general-counsel');
    expect(JSON.stringify(v)).not.toContain('editor-in-chief');
  });
});
