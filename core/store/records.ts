// Signed records: one per signed image (and, for video, one per segment plus the parent).
import { sql, type ReadableDB, type WritableDB } from './db.ts';

export type RecordKind = 'image' | 'video' | 'segment';

export interface SignedRecord {
  id: string;
  kind: RecordKind;
  parentId: string | null;
  inputName: string;
  inputPath: string | null;
  outputPath: string | null;
  format: string;
  width: number | null;
  height: number | null;
  sha256: string;
  outputSha256: string | null;
  phash: string | null;
  payload: string | null;
  /** 'embedded', or 'skipped:<CODE>' with the reason the watermark was not embedded. */
  watermark: string;
  fingerprint: string;
  signature: string;
  publicKey: string;
  keyId: string;
  signedAt: string;
  details: Record<string, unknown>;
}

interface Row {
  id: string;
  kind: RecordKind;
  parent_id: string | null;
  input_name: string;
  input_path: string | null;
  output_path: string | null;
  format: string;
  width: number | null;
  height: number | null;
  sha256: string;
  output_sha256: string | null;
  phash: string | null;
  payload: string | null;
  watermark: string;
  fingerprint: string;
  signature: string;
  public_key: string;
  key_id: string;
  signed_at: string;
  details: string;
}

const fromRow = (r: Row): SignedRecord => ({
  id: r.id,
  kind: r.kind,
  parentId: r.parent_id,
  inputName: r.input_name,
  inputPath: r.input_path,
  outputPath: r.output_path,
  format: r.format,
  width: r.width,
  height: r.height,
  sha256: r.sha256,
  outputSha256: r.output_sha256,
  phash: r.phash,
  payload: r.payload,
  watermark: r.watermark,
  fingerprint: r.fingerprint,
  signature: r.signature,
  publicKey: r.public_key,
  keyId: r.key_id,
  signedAt: r.signed_at,
  details: JSON.parse(r.details) as Record<string, unknown>,
});

export function insertRecord(db: WritableDB, r: SignedRecord): void {
  db.run(sql`INSERT INTO records (id, kind, parent_id, input_name, input_path, output_path, format, width, height, sha256,
      output_sha256, phash, payload, watermark, fingerprint, signature, public_key, key_id, signed_at, details)
    VALUES (${r.id}, ${r.kind}, ${r.parentId}, ${r.inputName}, ${r.inputPath}, ${r.outputPath}, ${r.format}, ${r.width},
      ${r.height}, ${r.sha256}, ${r.outputSha256}, ${r.phash}, ${r.payload}, ${r.watermark}, ${r.fingerprint},
      ${r.signature}, ${r.publicKey}, ${r.keyId}, ${r.signedAt}, ${JSON.stringify(r.details)})`);
}

export function getRecord(db: ReadableDB, id: string): SignedRecord | null {
  const r = db.get<Row>(sql`SELECT * FROM records WHERE id = ${id}`);
  return r ? fromRow(r) : null;
}

/** Records whose original or signed output has this SHA-256. */
/** The newest record signed from these original bytes (photo or video; never a segment), or null. */
export function latestSignedFrom(db: ReadableDB, sha256: string): SignedRecord | null {
  const r = db.get<Row>(sql`SELECT * FROM records WHERE sha256 = ${sha256} AND kind != 'segment' ORDER BY signed_at DESC, id DESC LIMIT 1`);
  return r ? fromRow(r) : null;
}

export function findBySha256(db: ReadableDB, sha256: string): SignedRecord[] {
  return db.all<Row>(sql`SELECT * FROM records WHERE sha256 = ${sha256} OR output_sha256 = ${sha256} ORDER BY signed_at`).map(fromRow);
}

export function listRecords(db: ReadableDB, opts: { limit?: number; kind?: RecordKind } = {}): SignedRecord[] {
  const limit = opts.limit ?? 1000;
  const q = opts.kind
    ? sql`SELECT * FROM records WHERE kind = ${opts.kind} ORDER BY signed_at DESC, id DESC LIMIT ${limit}`
    : sql`SELECT * FROM records WHERE kind != 'segment' ORDER BY signed_at DESC, id DESC LIMIT ${limit}`;
  return db.all<Row>(q).map(fromRow);
}

/** (id, phash, payload) of every image record, for the Hamming-distance scans of verify. */
export function imageFingerprints(db: ReadableDB): { id: string; phash: string | null; payload: string | null }[] {
  return db.all(sql`SELECT id, phash, payload FROM records WHERE kind = 'image'`);
}
