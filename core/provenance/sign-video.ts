// The video sign pipeline (DESIGN.md, "Sign (video)"): frames streamed from ffmpeg as 32×32 gray at the adaptive
// rate → pHash per frame → 5-second segments chained by SHA-256 → one signed record per segment plus the parent
// (whole-file SHA-256, chain hash) in one transaction → the output: the MP4 with a C2PA manifest, else a copy.
// Every step reads one private snapshot of the input (core/store/scratch.ts), never the input itself.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { embedManifest } from '../c2pa/embed.ts';
import type { CustodyAssertion } from '../c2pa/custody-assertion.ts';
import { pqDeclaration } from '../c2pa/mldsa.ts';
import type { VideoFormat } from '../media/detect.ts';
import { CustodyError } from '../errors.ts';
import { sha256Hex } from '../media/hash.ts';
import { forwardOnly, within, type ProgressListener } from '../media/progress.ts';
import { fingerprintVideo } from '../media/video/fingerprint.ts';
import type { SignedRecord } from '../store/records.ts';
import { withSnapshot, type Snapshot } from '../store/scratch.ts';
import { fingerprint, newRecordId } from './fingerprint.ts';
import type { OutputContent, OutputTarget } from './output.ts';
import { originOf } from './render-image.ts';
import { claimAddOns, commitSigned, type SignContext, type SignReceipt } from './sign-image.ts';
import { segmentPhash, type SegmentDetails, type VideoDetails } from './video-records.ts';

/** Largest video signed and read whole by c2pa-wasm: it holds the file in memory several times over (a 128 MB MP4 took the process to 835 MB), so larger videos get a streamed copy without a manifest. */
export const C2PA_VIDEO_MAX_BYTES = 256 * 1024 * 1024;
/** Largest video accepted. */
export const MAX_VIDEO_BYTES = 5 * 1024 * 1024 * 1024;

export interface VideoSignOptions {
  now?: Date;
  /** How far signing has got, 0 to 100 %, with its phase (core/media/progress.ts); 100 once the record is written. */
  onProgress?: ProgressListener;
}

/**
 * Where each phase ends on the 0–100 figure. The snapshot is one read and one write of the file, hashed as it goes;
 * decoding the frames is most of the work; the Content Credentials read, hash and rewrite the whole MP4 in memory;
 * the output is one copy (hashed) or write and a sync. Wall time measured signing a 30 s 720p slideshow (2 busy
 * cores): fingerprint 86 % (probe included), Content Credentials 13 %, output under 1 %.
 */
const SNAPSHOT_END = 5;
const FINGERPRINT_END = 85;
const CREDENTIALS_END = 98;

export async function signVideo(ctx: SignContext, path: string, format: VideoFormat, target: OutputTarget, opts: VideoSignOptions = {}): Promise<SignReceipt> {
  const report = opts.onProgress ? forwardOnly(opts.onProgress) : null;
  // With a check on the original (bytes signed before are refused), nothing is reported until it has passed.
  const copying = ctx.checkOriginal ? null : report;
  copying?.({ phase: 'starting', percent: 0, doneSec: 0, totalSec: 0 });
  const hashing = copying ? (copied: number, size: number) => copying({ phase: 'hashing', percent: size ? (SNAPSHOT_END * Math.min(copied, size)) / size : 0, doneSec: 0, totalSec: 0 }) : undefined;
  // The input is read once, into a snapshot no one else can write: the SHA-256, the frames, the Content Credentials
  // and the signed copy all come from the same bytes, even if the input is replaced meanwhile (docs/security.md).
  return withSnapshot(ctx.scratchDir, path, { maxBytes: MAX_VIDEO_BYTES, ...(hashing ? { onBytes: hashing } : {}) }, (snapshot) =>
    signSnapshot(ctx, path, snapshot, format, target, opts.now ?? new Date(), report).catch((e: unknown) => {
      throw namingInput(e, snapshot.path, path);
    }),
  );
}

/** An error about the snapshot, told about the file the caller gave (the scratch folder is the desk's own business). */
function namingInput(e: unknown, snapshot: string, input: string): unknown {
  if (!(e instanceof CustodyError) || !e.message.includes(snapshot)) return e;
  const details = e.details && Object.fromEntries(Object.entries(e.details).map(([k, v]) => [k, v === snapshot ? input : v]));
  return new CustodyError(e.code, e.message.split(snapshot).join(input), details, { cause: e });
}

async function signSnapshot(ctx: SignContext, path: string, snapshot: Snapshot, format: VideoFormat, target: OutputTarget, now: Date, report: ProgressListener | null): Promise<SignReceipt> {
  const { size } = snapshot;
  const withCredentials = Boolean(ctx.c2pa) && format === 'mp4' && size <= C2PA_VIDEO_MAX_BYTES;
  const fingerprintEnd = withCredentials ? FINGERPRINT_END : CREDENTIALS_END;
  // A refusal of bytes signed before comes before minutes of fingerprinting.
  ctx.checkOriginal?.(snapshot.sha256);
  report?.({ phase: 'starting', percent: 0, doneSec: 0, totalSec: 0 });
  const fp = await fingerprintVideo(snapshot.path, { maxBytes: MAX_VIDEO_BYTES, maxDurationSec: ctx.limits.maxVideoSeconds, sha256: snapshot.sha256, ...(report ? { onProgress: within(report, SNAPSHOT_END, fingerprintEnd) } : {}) });
  const at = (phase: 'credentials' | 'writing' | 'done', percent: number) => report?.({ phase, percent, doneSec: fp.durationSec, totalSec: fp.durationSec });
  const signedAt = now.toISOString();
  const publicKeyHex = Buffer.from(ctx.signer.publicKey).toString('hex');
  const recordId = newRecordId(now);
  const sign = (fields: { sha256: string; phash: string }) => {
    const fpText = fingerprint({ ...fields, timestamp: signedAt, signer: publicKeyHex });
    return { fingerprint: fpText, signature: Buffer.from(ctx.signer.sign(new TextEncoder().encode(fpText))).toString('hex') };
  };
  const common = { inputName: basename(path), format, publicKey: publicKeyHex, keyId: ctx.signer.keyId, signedAt, payload: null, outputSha256: null, watermark: 'skipped:NOT_APPLICABLE_TO_VIDEO' };
  const parentSig = sign({ sha256: fp.sha256, phash: fp.chainHash });
  const details: VideoDetails = { algorithm: fp.algorithm, durationSec: fp.durationSec, fps: fp.fps, codec: fp.codec, sampleRate: fp.sampleRate, chainHash: fp.chainHash, segmentCount: fp.segments.length };

  let c2pa: SignReceipt['c2pa'] = { status: 'skipped', reason: 'NO_C2PA_CERTIFICATE', pq: false };
  let content: OutputContent = { copyFrom: snapshot.path };
  if (ctx.c2pa && withCredentials) {
    at('credentials', FINGERPRINT_END);
    const custody: CustodyAssertion = {
      version: 1,
      recordId,
      org: ctx.org,
      original: { sha256: fp.sha256, phash: fp.chainHash },
      signedAt,
      signer: { alg: 'Ed25519', publicKey: publicKeyHex },
      signature: parentSig.signature,
    };
    if (ctx.c2pa.pq) custody.pq = pqDeclaration(ctx.c2pa.pq);
    // The snapshot is the desk's own (0600 in a 0700 folder) and was hashed as it was made: read, not hashed again.
    const bytes = new Uint8Array(await readFile(snapshot.path));
    content = await embedManifest(bytes, 'video/mp4', {
      ...(await originOf(bytes, 'video/mp4', basename(path), ctx.c2pa.digitalSourceType, signedAt)),
      title: basename(path),
      custody,
      // the signer's chain and key were validated together; tests read back
    }, ctx.c2pa.signer, { verifyAfterSign: false, addOns: claimAddOns(ctx.c2pa, custody) });
    c2pa = { status: 'embedded', pq: custody.pq !== undefined };
  } else if (ctx.c2pa) {
    c2pa = { status: 'skipped', reason: format === 'mp4' ? 'VIDEO_TOO_LARGE_FOR_C2PA' : 'FORMAT_NOT_SUPPORTED_BY_C2PA', pq: false };
  }
  const outputSha256 = content instanceof Uint8Array ? sha256Hex(content) : fp.sha256;

  const parent: SignedRecord = {
    ...common,
    id: recordId,
    kind: 'video',
    parentId: null,
    inputPath: path,
    outputPath: null,
    width: fp.width,
    height: fp.height,
    sha256: fp.sha256,
    outputSha256,
    phash: fp.chainHash,
    ...parentSig,
    details: { ...details, org: ctx.org, bytes: size, c2pa } as unknown as Record<string, unknown>,
  };
  const segments: SignedRecord[] = fp.segments.map((seg) => {
    const phash = segmentPhash(seg.frameHashes);
    const segDetails: SegmentDetails = { index: seg.index, start: seg.start, end: seg.end, frameHashes: seg.frameHashes };
    return {
      ...common,
      id: newRecordId(now),
      kind: 'segment',
      parentId: recordId,
      inputPath: null,
      outputPath: null,
      width: fp.width,
      height: fp.height,
      sha256: seg.hash,
      phash,
      ...sign({ sha256: seg.hash, phash }),
      details: segDetails as unknown as Record<string, unknown>,
    };
  });

  at('writing', CREDENTIALS_END);
  const receipt = await commitSigned(ctx, target, content, parent, segments, {
    watermark: { status: 'skipped', algorithm: 'none', reason: 'NOT_APPLICABLE_TO_VIDEO' },
    c2pa,
    video: { durationSec: fp.durationSec, fps: fp.fps, codec: fp.codec, sampleRate: fp.sampleRate, segments: fp.segments.length, chainHash: fp.chainHash },
  });
  at('done', 100);
  return receipt;
}
