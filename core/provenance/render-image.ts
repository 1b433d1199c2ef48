// The pixel half of signing a photo: decode → pHash and layout → (the signature, from the key holder) → watermark →
// encode → Content Credentials (the claim signed by the key holder). It holds no key and writes nothing: the two
// signatures come from `host`, so that it runs the same on the calling thread and in a sign worker
// (sign-worker.js), where the host's answers arrive over a MessagePort from the thread that holds the vault.
import { embedManifest } from '../c2pa/embed.ts';
import type { C2paAlgorithm } from '../c2pa/algorithms.ts';
import type { CustodyAssertion } from '../c2pa/custody-assertion.ts';
import { CUSTODY_AGENT, DIGITAL_CAPTURE, type C2paMime, type ManifestInput } from '../c2pa/manifest.ts';
import { hasManifest } from '../c2pa/read.ts';
import type { ImageFormat, Limits } from '../media/detect.ts';
import { decodeImage, encodeImage, probeImage, type ImageInfo } from '../media/image.ts';
import { encodeLayout, layoutFromLuma, layoutLuma } from '../media/layout.ts';
import { expectPixels, markPixels, perceptualScan, releasePixels, sharePixels, type Pixels } from '../media/passes.ts';
import { jpegWithIim } from '../media/iim.ts';
import { isEmptyMetadata, type PhotoMetadata } from '../media/photo-metadata.ts';
import { withXmpPacket, xmpPacketOf } from '../media/xmp-container.ts';
import { writeXmpPacket } from '../media/xmp.ts';
import type { PixelPool } from '../media/pixel-pool.ts';
import type { LumaGridSink } from '../media/watermark/resample.ts';
import { WATERMARK_ALGORITHM, planWatermarkOn, prepareWatermark, type PreparedWatermark } from '../media/watermark/codec.ts';
import { payloadFromSignature } from './fingerprint.ts';

export interface RenderRequest {
  /** The original's bytes, exactly those the caller hashed into the record. */
  original: Uint8Array;
  /** The original's file name (the manifest's title). */
  name: string;
  format: ImageFormat;
  limits: Limits;
  signedAt: string;
  /**
   * Content Credentials: null writes none (no certificate); mime null = a format c2pa-rs cannot carry.
   */
  c2pa: { mime: C2paMime | null; algorithm: C2paAlgorithm; digitalSourceType?: string } | null;
  /** The IPTC fields signed with the copy; writeXmp: they were edited, so the copy's XMP (and a JPEG's IIM) is rewritten with them. */
  metadata?: { fields: PhotoMetadata; writeXmp: boolean };
}

/** What the key holder does for a render: nothing here sees a private key. */
export interface RenderHost {
  /**
   * Signs the fingerprint of (the original's SHA-256, this pHash, signedAt, the signer's key) and returns the
   * signature with the custody assertion that carries it (and the layout) into the manifest, and the length of
   * the COSE_Sign1 that signClaim will return (add-ons included; null without Content Credentials).
   */
  signFingerprint(seen: { phash: string; layout: string }): Promise<{ signature: Uint8Array; custody: CustodyAssertion; claimReserve: number | null }>;
  /** The padded COSE_Sign1 over a C2PA claim, `claimReserve` bytes long. */
  signClaim(claim: Uint8Array): Promise<Uint8Array>;
}

export interface Rendered {
  encoded: Uint8Array;
  width: number;
  height: number;
  phash: string;
  layout: string;
  watermark: { status: 'embedded' | 'skipped'; algorithm: string; reason?: string };
  c2pa: { status: 'embedded' | 'skipped'; reason?: string; pq: boolean };
  /** The fields cut to IPTC IIM's dataset limits in a JPEG's IIM (the XMP and the credentials hold them whole). */
  iimTruncated?: string[];
}

/**
 * What signing a photo reads from it before the signature: decoded (its pixels shared with the pool's workers, or
 * not), its pHash, the watermark's view of its luma, the half of the watermark's plan that needs no payload, and its
 * layout. Computed from the bytes alone: no key, nothing written, so it may be computed while the vault unlocks
 * (scan-ahead.ts).
 */
export interface PhotoScan {
  info: ImageInfo;
  pixels: Pixels;
  phash: string;
  watermarkLuma: LumaGridSink | null;
  /** prepareWatermark of the pixels (null when too small to carry a watermark) */
  watermark: PreparedWatermark | null;
  layout: string;
  /** whether the original carries a manifest store (hasManifest), looked up from `mime` while the key was not there */
  manifest?: { mime: C2paMime; present: Promise<boolean> };
}

/** `pixelPool`: the pool to share a large image's rows with ('default': the process's), or null for this thread alone. */
export async function scanPhoto(original: Uint8Array, format: ImageFormat, limits: Limits, pixelPool: PixelPool | null | 'default' = 'default'): Promise<PhotoScan> {
  const info = await probeImage(original, format, limits);
  if (pixelPool === 'default') expectPixels(info.width, info.height);
  const pixels = sharePixels(await decodeImage(original, format, limits), pixelPool);
  const raster = pixels.raster;
  const { phash, watermarkLuma } = await perceptualScan(pixels);
  // the picture's layout, read before the watermark goes in: what a verifier lays a copy over to find local edits
  const luma = layoutLuma(raster, watermarkLuma);
  const layout = encodeLayout(layoutFromLuma(luma.luma, luma.width, luma.height, raster.width, raster.height));
  // the watermark's texture mask, whitening, host slots and round-trip kernels: all that waits for is the payload
  const watermark = watermarkLuma ? prepareWatermark(raster, { luma: watermarkLuma }) : null;
  return { info, pixels, phash, watermarkLuma, watermark, layout };
}

/**
 * `pixelPool` as for scanPhoto; `scanned`: the scan of exactly `req.original` (the caller compared their SHA-256),
 * made ahead of time, whose pixels this render then marks and releases.
 */
export async function renderSignedImage(req: RenderRequest, host: RenderHost, pixelPool: PixelPool | null | 'default' = 'default', scanned: PhotoScan | null = null): Promise<Rendered> {
  const { original, format } = req;
  const scan = scanned ?? (await scanPhoto(original, format, req.limits, pixelPool));
  const { info, pixels, phash, watermark: prepared, layout } = scan;
  const raster = pixels.raster;
  const { signature, custody, claimReserve } = await host.signFingerprint({ phash, layout });
  const payload = payloadFromSignature(signature);

  let watermark: Rendered['watermark'];
  let marked = raster;
  if (prepared) {
    // the decoded pixels are not needed afterwards: mark them in place
    marked = await markPixels(pixels, planWatermarkOn(prepared, payload));
    watermark = { status: 'embedded', algorithm: WATERMARK_ALGORITHM };
  } else {
    watermark = { status: 'skipped', algorithm: WATERMARK_ALGORITHM, reason: 'IMAGE_TOO_SMALL_FOR_WATERMARK' };
  }
  const payloadHex = watermark.status === 'embedded' ? Buffer.from(payload).toString('hex') : null;
  let encoded = await encodeImage(marked, format, original, info);
  releasePixels(pixels);
  const metadata = req.metadata?.fields ?? {};
  // The edited fields go into the copy's XMP (and a JPEG's IPTC IIM) before the C2PA hard binding is computed over its bytes.
  let iimTruncated: string[] | undefined;
  if (req.metadata?.writeXmp) {
    encoded = withXmpPacket(format, encoded, writeXmpPacket(xmpPacketOf(format, encoded), metadata));
    if (format === 'jpeg') {
      const iim = jpegWithIim(encoded, metadata);
      encoded = iim.bytes;
      if (iim.truncated.length > 0) iimTruncated = iim.truncated;
    }
  }
  let c2pa: Rendered['c2pa'] = { status: 'skipped', reason: 'NO_C2PA_CERTIFICATE', pq: false };
  const mime = req.c2pa?.mime;
  if (req.c2pa && mime && claimReserve !== null) {
    const sourceType = req.c2pa.digitalSourceType ?? metadata.digitalSourceType ?? (info.camera ? DIGITAL_CAPTURE : undefined);
    const known = scan.manifest?.mime === mime ? scan.manifest.present : undefined;
    const origin = await originOf(original, mime, req.name, sourceType, req.signedAt, known);
    // The claim is signed by the host: only the algorithm and the length of its answer are known here.
    const signer = { algorithm: req.c2pa.algorithm, reserveSize: claimReserve, signClaim: (claim: Uint8Array) => host.signClaim(claim) };
    encoded = await embedManifest(encoded, mime, {
      ...origin,
      title: req.name,
      // The watermark went in before signing, and the soft binding below names it.
      ...(payloadHex ? { actions: [{ action: 'c2pa.watermarked.bound', when: req.signedAt, softwareAgent: CUSTODY_AGENT }] } : {}),
      custody,
      ...(payloadHex ? { softBinding: { alg: WATERMARK_ALGORITHM, payloadHex } } : {}),
      ...(isEmptyMetadata(metadata) ? {} : { metadata }),
    }, signer);
    c2pa = { status: 'embedded', pq: custody.pq !== undefined };
  } else if (req.c2pa) {
    c2pa = { status: 'skipped', reason: 'FORMAT_NOT_SUPPORTED_BY_C2PA', pq: false };
  }
  return { encoded, width: raster.width, height: raster.height, phash, layout, watermark, c2pa, ...(iimTruncated ? { iimTruncated } : {}) };
}

/**
 * How a manifest opens. An original that carries credentials (a camera's) is the parent ingredient, so they stay
 * in the history. Otherwise `c2pa.created` when the desk knows the digital source type (C2PA 2.x requires one on
 * that action) and, when it does not, `c2pa.opened` over the original as an ingredient of unknown provenance:
 * that is what the desk did, and nothing is guessed.
 */
export async function originOf(
  original: Uint8Array,
  mime: C2paMime,
  title: string,
  digitalSourceType: string | undefined,
  signedAt: string,
  /** hasManifest(original, mime), if it was started before */
  manifest: Promise<boolean> = hasManifest(original, mime),
): Promise<Pick<ManifestInput, 'intent' | 'parent' | 'digitalSourceType' | 'createdAt'>> {
  if (!(await manifest) && digitalSourceType) return { intent: 'create', digitalSourceType, createdAt: signedAt };
  return { intent: 'edit', parent: { bytes: original, mime, title } };
}
