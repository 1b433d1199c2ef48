// The image sign pipeline: detect → limits → SHA-256 → pHash → fingerprint → Ed25519 → watermark → encode with
// metadata → atomic write → one database transaction → receipt. The original is never modified.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { embedManifest } from '../c2pa/embed.ts';
import type { CustodyAssertion } from '../c2pa/custody-assertion.ts';
import { CUSTODY_AGENT, DIGITAL_CAPTURE, type C2paMime, type ManifestInput } from '../c2pa/manifest.ts';
import { mlDsaCoSigner, pqDeclaration, type MlDsaKeyPair } from '../c2pa/mldsa.ts';
import { hasManifest } from '../c2pa/read.ts';
import type { C2paSigner, CoseAddOn } from '../c2pa/signer.ts';
import type { Signer } from '../crypto/keyring.ts';
import { type ImageFormat, type Limits } from '../media/detect.ts';
import { sha256Hex } from '../media/hash.ts';
import { decodeImage, encodeImage, probeImage } from '../media/image.ts';
import { encodeLayout, layoutFromLuma, layoutLuma } from '../media/layout.ts';
import { signLayout } from './layout-signature.ts';
import { markPixels, perceptualScan, releasePixels, sharePixels } from '../media/passes.ts';
import { WATERMARK_ALGORITHM, planWatermark } from '../media/watermark/codec.ts';
import type { WritableDB } from '../store/db.ts';
import { insertRecord, type SignedRecord } from '../store/records.ts';
import { enqueueRecords, manifestOfOutput } from '../sync/outbox.ts';
import { fingerprint, newRecordId, payloadFromSignature } from './fingerprint.ts';
import type { OutputContent, OutputTarget } from './output.ts';
import { placeSignedOutput } from './placement.ts';

/** The formats c2pa-rs writes manifests into (TIFF and AVIF are signed without one). */
export const C2PA_MIME: Partial<Record<ImageFormat, C2paMime>> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

export interface SignContext {
  db: WritableDB;
  signer: Signer;
  limits: Limits;
  org: string;
  /** Content Credentials: null writes none (a desk without a C2PA certificate). */
  c2pa: { signer: C2paSigner; pq: MlDsaKeyPair | null; digitalSourceType?: string; addOns?: readonly CoseAddOn[] } | null;
  /** Joins the record's transaction (the audit entry, a watch job's link); the hub's outbox row is always written there. */
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
  c2pa: { status: 'embedded' | 'skipped'; reason?: string; pq: boolean; timestamp?: 'embedded' | 'queued' };
  /** For a video: what was fingerprinted (phash then holds the segment chain's final hash). */
  video?: { durationSec: number; fps: number; codec: string; sampleRate: number; segments: number; chainHash: string };
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
  const pixels = sharePixels(await decodeImage(original, format, ctx.limits));
  const raster = pixels.raster;
  const { phash, watermarkLuma } = await perceptualScan(pixels);
  // the picture's layout, read before the watermark goes in: what a verifier lays a copy over to find local edits
  const luma = layoutLuma(raster, watermarkLuma);
  const layout = encodeLayout(layoutFromLuma(luma.luma, luma.width, luma.height, raster.width, raster.height));
  const signedAt = now.toISOString();
  const publicKeyHex = Buffer.from(ctx.signer.publicKey).toString('hex');
  const fields = { sha256, phash, timestamp: signedAt, signer: publicKeyHex };
  const fp = fingerprint(fields);
  const signature = ctx.signer.sign(new TextEncoder().encode(fp));
  const payload = payloadFromSignature(signature);

  let watermark: SignReceipt['watermark'];
  let marked = raster;
  if (watermarkLuma) {
    // the decoded pixels are not needed afterwards: mark them in place
    marked = await markPixels(pixels, planWatermark(raster, payload, { luma: watermarkLuma }));
    watermark = { status: 'embedded', algorithm: WATERMARK_ALGORITHM };
  } else {
    watermark = { status: 'skipped', algorithm: WATERMARK_ALGORITHM, reason: 'IMAGE_TOO_SMALL_FOR_WATERMARK' };
  }
  const recordId = newRecordId(now);
  const payloadHex = watermark.status === 'embedded' ? Buffer.from(payload).toString('hex') : null;
  let encoded = await encodeImage(marked, format, original, info);
  releasePixels(pixels);
  let c2pa: SignReceipt['c2pa'] = { status: 'skipped', reason: 'NO_C2PA_CERTIFICATE', pq: false };
  const mime = C2PA_MIME[format];
  if (ctx.c2pa && mime) {
    const custody: CustodyAssertion = {
      version: 1,
      recordId,
      org: ctx.org,
      original: { sha256, phash },
      signedAt,
      signer: { alg: 'Ed25519', publicKey: publicKeyHex },
      signature: Buffer.from(signature).toString('hex'),
      layout,
    };
    if (ctx.c2pa.pq) custody.pq = pqDeclaration(ctx.c2pa.pq);
    const origin = await originOf(new Uint8Array(original), mime, basename(path), ctx.c2pa.digitalSourceType ?? (info.camera ? DIGITAL_CAPTURE : undefined), signedAt);
    encoded = await embedManifest(encoded, mime, {
      ...origin,
      title: basename(path),
      // The watermark went in before signing, and the soft binding below names it.
      ...(payloadHex ? { actions: [{ action: 'c2pa.watermarked.bound', when: signedAt, softwareAgent: CUSTODY_AGENT }] } : {}),
      custody,
      ...(payloadHex ? { softBinding: { alg: WATERMARK_ALGORITHM, payloadHex } } : {}),
    }, ctx.c2pa.signer, { addOns: claimAddOns(ctx.c2pa, custody) });
    c2pa = { status: 'embedded', pq: custody.pq !== undefined };
  } else if (ctx.c2pa) {
    c2pa = { status: 'skipped', reason: 'FORMAT_NOT_SUPPORTED_BY_C2PA', pq: false };
  }
  const outputSha256 = sha256Hex(encoded);

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
    publicKey: publicKeyHex,
    keyId: ctx.signer.keyId,
    signedAt,
    details: { watermarkAlgorithm: WATERMARK_ALGORITHM, org: ctx.org, bytes: original.length, c2pa, layout, layoutSignature: signLayout(ctx.signer, fp, layout) },
  };
  return commitSigned(ctx, target, encoded, record, [], { watermark, c2pa });
}

/** What the claim signature carries besides itself: the ML-DSA co-signature in hybrid mode, then the desk's own (a time-stamp). */
export function claimAddOns(c2pa: NonNullable<SignContext['c2pa']>, custody: CustodyAssertion): CoseAddOn[] {
  return [...(c2pa.pq ? [mlDsaCoSigner(c2pa.pq, custody)] : []), ...(c2pa.addOns ?? [])];
}

/**
 * How a manifest opens. An original that carries credentials (a camera's) is the parent ingredient, so they stay
 * in the history. Otherwise `c2pa.created` when the desk knows the digital source type (C2PA 2.x requires one on
 * that action) and, when it does not, `c2pa.opened` over the original as an ingredient of unknown provenance:
 * that is what the desk did, and nothing is guessed.
 */
export async function originOf(original: Uint8Array, mime: C2paMime, title: string, digitalSourceType: string | undefined, signedAt: string): Promise<Pick<ManifestInput, 'intent' | 'parent' | 'digitalSourceType' | 'createdAt'>> {
  if (!(await hasManifest(original, mime)) && digitalSourceType) return { intent: 'create', digitalSourceType, createdAt: signedAt };
  return { intent: 'edit', parent: { bytes: original, mime, title } };
}

/**
 * Places the output (placement.ts: a crash leaves nothing, or the record and the file), committing the record,
 * its child records and whatever joins the transaction through onRecord; the receipt repeats what the record holds.
 */
export async function commitSigned(
  ctx: SignContext,
  target: OutputTarget,
  content: OutputContent,
  record: SignedRecord,
  children: readonly SignedRecord[],
  extra: Pick<SignReceipt, 'watermark' | 'c2pa' | 'video'>,
): Promise<SignReceipt> {
  const output = await placeSignedOutput(ctx.db, target, content, record.id, (finalPath) => {
    record.outputPath = finalPath;
    ctx.db.transaction(() => {
      insertRecord(ctx.db, record);
      for (const child of children) insertRecord(ctx.db, child);
      // The hub learns of the record through the outbox row committed with it: both or neither survive a crash.
      enqueueRecords(ctx.db, record, children, manifestOfOutput(content));
      ctx.onRecord?.(ctx.db, record);
    });
  });
  record.outputPath = output;
  return {
    recordId: record.id,
    input: record.inputPath ?? record.inputName,
    output,
    format: record.format,
    width: record.width ?? 0,
    height: record.height ?? 0,
    sha256: record.sha256,
    outputSha256: record.outputSha256 ?? '',
    phash: record.phash ?? '',
    payload: record.payload,
    ...extra,
    fingerprint: record.fingerprint,
    signature: record.signature,
    publicKey: record.publicKey,
    keyId: record.keyId,
    signedAt: record.signedAt,
    org: ctx.org,
  };
}
