// The image sign pipeline: SHA-256 of the original → render (render-image.ts: decode, pHash, layout, the Ed25519
// signature asked of this thread, watermark, encode, Content Credentials) → atomic write → one database transaction
// → receipt. The original is never modified. The render runs here or in a sign worker (sign-pool.ts); the keys,
// the record and the database stay on this thread either way.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CustodyAssertion } from '../c2pa/custody-assertion.ts';
import type { C2paMime } from '../c2pa/manifest.ts';
import { mlDsaCoSigner, pqDeclaration, type MlDsaKeyPair } from '../c2pa/mldsa.ts';
import { reserveWith, type C2paSigner, type CoseAddOn } from '../c2pa/signer.ts';
import type { Signer } from '../crypto/keyring.ts';
import { type ImageFormat, type Limits } from '../media/detect.ts';
import { sha256Hex } from '../media/hash.ts';
import { isEmptyMetadata, mergeMetadata, type PhotoMetadata } from '../media/photo-metadata.ts';
import { readPhotoMetadata } from '../media/read-metadata.ts';
import { CustodyError } from '../errors.ts';
import { WATERMARK_ALGORITHM } from '../media/watermark/codec.ts';
import type { WritableDB } from '../store/db.ts';
import { insertRecord, type SignedRecord } from '../store/records.ts';
import { enqueueRecords, manifestOfOutput } from '../sync/outbox.ts';
import { fingerprint, newRecordId, payloadFromSignature } from './fingerprint.ts';
import type { OutputContent, OutputTarget } from './output.ts';
import { signLayout } from './layout-signature.ts';
import { signMetadata } from './metadata-signature.ts';
import { placeSignedOutput } from './placement.ts';
import { renderSignedImage, type RenderHost, type RenderRequest } from './render-image.ts';
import type { ScanAhead } from './scan-ahead.ts';
import type { SignPool } from './sign-pool.ts';

/** The formats c2pa-rs writes manifests into (TIFF and AVIF are signed without one). */
export const C2PA_MIME: Partial<Record<ImageFormat, C2paMime>> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

export interface SignContext {
  db: WritableDB;
  signer: Signer;
  limits: Limits;
  org: string;
  /** Content Credentials: null writes none (a desk without a C2PA certificate). */
  c2pa: { signer: C2paSigner; pq: MlDsaKeyPair | null; digitalSourceType?: string; addOns?: readonly CoseAddOn[] } | null;
  /**
   * The IPTC fields the signer set, laid over those the file carries (null clears one). When given, the signed
   * copy's XMP is rewritten with the result; either way the fields go into the record and the claim.
   */
  metadata?: Partial<Record<keyof PhotoMetadata, unknown>>;
  /** Joins the record's transaction (the audit entry, a watch job's link); the hub's outbox row is always written there. */
  onRecord?: (db: WritableDB, record: SignedRecord) => void;
  /** Runs on the original's SHA-256 before any work on the picture (the desk refuses bytes already signed here). */
  checkOriginal?: (sha256: string) => void;
  /** Where private snapshots of the inputs are made (CUSTODY_HOME/scratch, core/store/scratch.ts). */
  scratchDir: string;
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
  /** The IPTC fields signed with the copy (in its XMP when they were edited, and in the Content Credentials). */
  metadata?: PhotoMetadata;
  /** The fields cut to fit IPTC IIM's dataset limits in a signed JPEG's IIM; its XMP and Content Credentials hold them whole. */
  iimTruncated?: string[];
  /** For a video: what was fingerprinted (phash then holds the segment chain's final hash). */
  video?: { durationSec: number; fps: number; codec: string; sampleRate: number; segments: number; chainHash: string };
  fingerprint: string;
  signature: string;
  publicKey: string;
  keyId: string;
  signedAt: string;
  org: string;
}

/**
 * `ahead`: the photo scanned while the vault unlocked (scan-ahead.ts), taken only when it was scanned from bytes of
 * the SHA-256 read here, and only when the render runs on this thread (not in `pool`).
 */
export async function signImage(ctx: SignContext, path: string, format: ImageFormat, target: OutputTarget, now = new Date(), pool: SignPool | null = null, ahead: ScanAhead | null = null): Promise<SignReceipt> {
  const original = await readFile(path);
  // The record binds the bytes hashed here, on the thread that holds the key; the render reads these same bytes.
  const sha256 = sha256Hex(original);
  ctx.checkOriginal?.(sha256);
  const bytes = original.length;
  const metadata = await signedMetadata(original, format, ctx.metadata);
  const signedAt = now.toISOString();
  const recordId = newRecordId(now);
  const publicKeyHex = Buffer.from(ctx.signer.publicKey).toString('hex');
  const mime = C2PA_MIME[format] ?? null;
  let signed: { fp: string; signature: Uint8Array; custody: CustodyAssertion } | null = null;
  let addOns: CoseAddOn[] = [];
  const host: RenderHost = {
    async signFingerprint({ phash, layout }) {
      if (signed) throw new Error('expected one fingerprint to sign per photo, got a second request');
      const fp = fingerprint({ sha256, phash, timestamp: signedAt, signer: publicKeyHex });
      const signature = ctx.signer.sign(new TextEncoder().encode(fp));
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
      if (ctx.c2pa?.pq) custody.pq = pqDeclaration(ctx.c2pa.pq);
      if (ctx.c2pa) addOns = claimAddOns(ctx.c2pa, custody);
      signed = { fp, signature, custody };
      return { signature, custody, claimReserve: ctx.c2pa ? reserveWith(ctx.c2pa.signer, addOns) : null };
    },
    async signClaim(claim) {
      if (!ctx.c2pa || !signed) throw new Error('expected a claim to sign after the fingerprint, with a C2PA certificate');
      return ctx.c2pa.signer.signClaim(claim, addOns);
    },
  };
  const request: RenderRequest = {
    original,
    name: basename(path),
    format,
    limits: ctx.limits,
    signedAt,
    c2pa: ctx.c2pa
      ? {
          mime,
          algorithm: ctx.c2pa.signer.algorithm,
          ...(ctx.c2pa.digitalSourceType ? { digitalSourceType: ctx.c2pa.digitalSourceType } : {}),
        }
      : null,
    metadata: { fields: metadata, writeXmp: ctx.metadata !== undefined },
  };
  const r = pool ? await pool.render(request, host) : await renderSignedImage(request, host, 'default', await (ahead?.take(sha256) ?? null));
  const done = signed as { fp: string; signature: Uint8Array } | null;
  if (!done) throw new Error('expected the render to ask for the signature, it did not');
  const outputSha256 = sha256Hex(r.encoded);

  const record: SignedRecord = {
    id: recordId,
    kind: 'image',
    parentId: null,
    inputName: basename(path),
    inputPath: path,
    outputPath: null,
    format,
    width: r.width,
    height: r.height,
    sha256,
    outputSha256,
    phash: r.phash,
    payload: r.watermark.status === 'embedded' ? Buffer.from(payloadFromSignature(done.signature)).toString('hex') : null,
    watermark: r.watermark.status === 'embedded' ? 'embedded' : `skipped:${r.watermark.reason}`,
    fingerprint: done.fp,
    signature: Buffer.from(done.signature).toString('hex'),
    publicKey: publicKeyHex,
    keyId: ctx.signer.keyId,
    signedAt,
    details: { watermarkAlgorithm: WATERMARK_ALGORITHM, org: ctx.org, bytes, c2pa: r.c2pa, layout: r.layout, layoutSignature: signLayout(ctx.signer, done.fp, r.layout),
      ...(isEmptyMetadata(metadata) ? {} : { metadata, metadataSignature: signMetadata(ctx.signer, done.fp, metadata) }),
    },
  };
  return commitSigned(ctx, target, r.encoded, record, [], {
    watermark: r.watermark,
    c2pa: r.c2pa,
    ...(isEmptyMetadata(metadata) ? {} : { metadata }),
    ...(r.iimTruncated ? { iimTruncated: r.iimTruncated } : {}),
  });
}

/**
 * The fields signed with an image: the file's own, with the signer's edits laid over them. Edits need a container
 * the desk writes XMP into (JPEG, PNG, WebP); TIFF, HEIC and AVIF keep the metadata they came with.
 */
async function signedMetadata(original: Uint8Array, format: ImageFormat, edits: SignContext['metadata']): Promise<PhotoMetadata> {
  const own = await readPhotoMetadata(original, format);
  if (edits === undefined) return own;
  if (!C2PA_MIME[format]) {
    throw new CustodyError('UNSUPPORTED_FORMAT', `expected a JPEG, PNG or WebP to write edited IPTC metadata into, got ${format.toUpperCase()}; sign it without metadata edits`);
  }
  return mergeMetadata(own, edits);
}

/** What the claim signature carries besides itself: the ML-DSA co-signature in hybrid mode, then the desk's own (a time-stamp). */
export function claimAddOns(c2pa: NonNullable<SignContext['c2pa']>, custody: CustodyAssertion): CoseAddOn[] {
  return [...(c2pa.pq ? [mlDsaCoSigner(c2pa.pq, custody)] : []), ...(c2pa.addOns ?? [])];
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
  extra: Pick<SignReceipt, 'watermark' | 'c2pa' | 'video' | 'metadata' | 'iimTruncated'>,
): Promise<SignReceipt> {
  if (!record.outputSha256) throw new Error(`record ${record.id}: expected the SHA-256 of its signed output, got none`);
  const output = await placeSignedOutput(ctx.db, target, content, record.id, record.outputSha256, (finalPath) => {
    record.outputPath = finalPath;
    ctx.db.transaction(() => {
      insertRecord(ctx.db, record);
      for (const child of children) insertRecord(ctx.db, child);
      // The hub learns of the record through the outbox row committed with it: both or neither survive a crash.
      enqueueRecords(ctx.db, record, children, manifestOfOutput(content), ctx.signer.sign);
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
