// The image sign pipeline: detect → limits → SHA-256 → pHash → fingerprint → Ed25519 → watermark → encode with
// metadata → atomic write → one database transaction → receipt. The original is never modified.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Signer } from '../crypto/keyring.ts';
import { type ImageFormat, type Limits } from '../media/detect.ts';
import { sha256Hex } from '../media/hash.ts';
import { decodeImage, encodeImage, probeImage } from '../media/image.ts';
import { phashHex, phashPixels } from '../media/phash.ts';
import { WATERMARK_ALGORITHM, WATERMARK_MIN_SIDE, embedWatermark } from '../media/watermark/codec.ts';
import type { WritableDB } from '../store/db.ts';
import { insertRecord, type SignedRecord } from '../store/records.ts';
import { fingerprint, newRecordId, payloadFromSignature } from './fingerprint.ts';
import { commitOutput, type OutputTarget } from './output.ts';

export interface SignContext {
  db: WritableDB;
  signer: Signer;
  limits: Limits;
  org: string;
  /** Joins the record's transaction: the audit entry and the hub outbox row of later layers go here. */
  onRecord?: (db: WritableDB, record: SignedRecord) => void;
}

export interface SignReceipt {
  recordId: string;
  input: string;
  output: string;
  format: string;
  width: number;
  height: number;
  sha256: string;
  outputSha256: string;
  phash: string;
  payload: string | null;
  watermark: { status: 'embedded' | 'skipped'; algorithm: string; reason?: string };
  fingerprint: string;
  signature: string;
  publicKey: string;
  keyId: string;
  signedAt: string;
  org: string;
}

export async function signImage(ctx: SignContext, path: string, format: ImageFormat, target: OutputTarget, now = new Date()): Promise<SignReceipt> {
  const original = await readFile(path);
  const sha256 = sha256Hex(original);
  const info = await probeImage(original, format, ctx.limits);
  const raster = await decodeImage(original, format, ctx.limits);
  const phash = phashHex(phashPixels(raster.data, raster.width, raster.height, raster.channels));
  const signedAt = now.toISOString();
  const fp = fingerprint({ sha256, phash, timestamp: signedAt, signer: ctx.signer.keyId });
  const signature = ctx.signer.sign(new TextEncoder().encode(fp));
  const payload = payloadFromSignature(signature);

  let watermark: SignReceipt['watermark'];
  let marked = raster;
  if (Math.min(raster.width, raster.height) >= WATERMARK_MIN_SIDE) {
    marked = embedWatermark(raster, payload);
    watermark = { status: 'embedded', algorithm: WATERMARK_ALGORITHM };
  } else {
    watermark = { status: 'skipped', algorithm: WATERMARK_ALGORITHM, reason: 'IMAGE_TOO_SMALL_FOR_WATERMARK' };
  }
  const encoded = await encodeImage(marked, format, original, info);
  const outputSha256 = sha256Hex(encoded);
  const recordId = newRecordId(now);
  const payloadHex = watermark.status === 'embedded' ? Buffer.from(payload).toString('hex') : null;

  const record: SignedRecord = {
    id: recordId,
    kind: 'image',
    parentId: null,
    inputName: basename(path),
    inputPath: path,
    outputPath: null,
    format,
    width: raster.width,
    height: raster.height,
    sha256,
    outputSha256,
    phash,
    payload: payloadHex,
    watermark: watermark.status === 'embedded' ? 'embedded' : `skipped:${watermark.reason}`,
    fingerprint: fp,
    signature: Buffer.from(signature).toString('hex'),
    publicKey: Buffer.from(ctx.signer.publicKey).toString('hex'),
    keyId: ctx.signer.keyId,
    signedAt,
    details: { watermarkAlgorithm: WATERMARK_ALGORITHM, org: ctx.org, bytes: original.length },
  };
  const output = await commitOutput(target, encoded, (finalPath) => {
    record.outputPath = finalPath;
    ctx.db.transaction(() => {
      insertRecord(ctx.db, record);
      ctx.onRecord?.(ctx.db, record);
    });
  });
  return {
    recordId,
    input: path,
    output,
    format,
    width: raster.width,
    height: raster.height,
    sha256,
    outputSha256,
    phash,
    payload: payloadHex,
    watermark,
    fingerprint: fp,
    signature: record.signature,
    publicKey: record.publicKey,
    keyId: ctx.signer.keyId,
    signedAt,
    org: ctx.org,
  };
}
