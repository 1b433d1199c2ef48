// The image verify pipeline. Works offline against the desk database; nothing leaves the machine.
import { readFile } from 'node:fs/promises';
import type { ImageFormat } from '../media/detect.ts';
import { hammingHex, sha256Hex } from '../media/hash.ts';
import { decodeImage, probeImage } from '../media/image.ts';
import { layoutLuma } from '../media/layout.ts';
import { perceptualScan, releasePixels, sharePixels } from '../media/passes.ts';
import { WATERMARK_READ_MIN_SIDE } from '../media/watermark/codec.ts';
import { MATCH_PARAMS } from '../media/watermark/match.ts';
import { vouchesFor } from './record-binding.ts';
import { findBySha256, getRecord, imageFingerprints, type SignedRecord } from '../store/records.ts';
import { PHASH_COPIED_WATERMARK, PHASH_MAX_DISTANCE, WATERMARK_MAX_DISTANCE, type Check, type Checks, type VerifyReport } from './checks.ts';
import { C2PA_MIME } from './sign-image.ts';
import { searchWatermark } from './image-signals.ts';
import { latestPublication, publicationByBytes, signedSummary, verdictForFile } from './file-kind.ts';
import { layoutCheck } from './layout-check.ts';
import { metadataSignal } from './metadata-signal.ts';
import { anchorCheck } from './anchor-check.ts';
import { decideVerdict } from './verdict.ts';
import { c2paCheck, exactBytesCheck, signatureCheck, type VerifyContext } from './verify-common.ts';

export type { VerifyContext };

interface Nearest {
  id: string;
  distance: number;
}

function nearest(values: { id: string; value: string | null }[], target: string): Nearest | null {
  let best: Nearest | null = null;
  for (const v of values) {
    if (!v.value || v.value.length !== target.length) continue;
    const d = hammingHex(v.value, target);
    if (!best || d < best.distance) best = { id: v.id, distance: d };
  }
  return best;
}

/**
 * The records whose picture looks like this one (pHash within the distance at which a watermark would be taken as
 * copied from another picture), nearest first: where blind extraction finds no mark, they are matched against the
 * copy (match.ts), and the copy is searched deeper (searchWatermark). A copy that lost most of its mark (a reshare of a
 * web-sized photo) still carries enough of its own record's whole pattern to tell it from every other record, though
 * not enough to be read without knowing it.
 */
function lookalikes(known: { id: string; phash: string | null; payload: string | null }[], phash: string): { id: string; payload: string }[] {
  return known
    .filter((k) => k.payload && k.phash?.length === phash.length)
    .map((k) => ({ id: k.id, payload: k.payload!, d: hammingHex(k.phash!, phash) }))
    .filter((k) => k.d <= PHASH_COPIED_WATERMARK)
    .sort((a, b) => a.d - b.d);
}

export async function verifyImage(ctx: VerifyContext, path: string, format: ImageFormat): Promise<VerifyReport> {
  const bytes = await readFile(path);
  const sha256 = sha256Hex(bytes);
  await probeImage(bytes, format, ctx.limits);
  const pixels = sharePixels(await decodeImage(bytes, format, ctx.limits));
  const raster = pixels.raster;
  const { phash, watermarkLuma } = await perceptualScan(pixels, WATERMARK_READ_MIN_SIDE);
  const known = imageFingerprints(ctx.db);

  // Exact bytes: the signed output or its original, or a published file.
  // (a row whose hash columns disagree with what its record signed, or its audit entry logged, is no match: record-binding.ts)
  const exact = findBySha256(ctx.db, sha256).find((r) => r.kind === 'image' && vouchesFor(ctx.db, r, sha256)) ?? null;
  const publishedBytes = exact ? null : publicationByBytes(ctx.db, sha256);
  const c2pa = await c2paCheck(bytes, C2PA_MIME[format] ?? null, format, ctx);

  // Watermark.
  let watermark: Check;
  let wmNearest: Nearest | null = null;
  if (!watermarkLuma) {
    watermark = { status: 'skipped', reason: 'IMAGE_TOO_SMALL_FOR_WATERMARK', detail: `the image is ${raster.width}×${raster.height}; a watermark is looked for from ${WATERMARK_READ_MIN_SIDE} px on the short side` };
  } else {
    const near = lookalikes(known, phash);
    const { ex, match, deep, autoDeep } = await searchWatermark(raster, watermarkLuma, {
      deep: ctx.deepWatermark ?? false,
      candidates: async () => near.map((k) => k.payload),
      // the signed or published file itself needs no deeper search to say what it is
      mayDeep: async () => !exact && !publishedBytes,
    });
    // the deep search that ran on its own says why, so that nobody asks for it again
    const byDeep = autoDeep ? ', found by the deep search, run because the copy looks like a signed photo' : '';
    if (match) {
      const id = near.find((k) => k.payload === match.payload)!.id;
      wmNearest = { id, distance: 0 };
      watermark = {
        status: 'pass', recordId: id, matched: true, payload: match.payload, score: round(match.z), threshold: MATCH_PARAMS.threshold, deep,
        detail: `watermark of record ${id}, matched: too weak to read blind, the record's own pattern is in the picture (score ${match.z.toFixed(1)}, at least ${MATCH_PARAMS.threshold})`,
      };
    } else if (!ex.detected || !ex.payload) {
      const detail = !deep ? 'no Custody watermark was detected'
        : autoDeep ? 'no Custody watermark was detected, by the deep search either (run because the copy looks like a signed photo)'
          : 'no Custody watermark was detected, by the deep search either';
      watermark = { status: 'absent', score: round(ex.score), threshold: ex.threshold, deep, detail };
    } else {
      const payload = Buffer.from(ex.payload).toString('hex');
      wmNearest = nearest(known.map((k) => ({ id: k.id, value: k.payload })), payload);
      if (wmNearest && wmNearest.distance <= WATERMARK_MAX_DISTANCE) {
        watermark = { status: 'pass', recordId: wmNearest.id, distance: wmNearest.distance, payload, score: round(ex.score), deep, detail: `watermark of record ${wmNearest.id}, ${wmNearest.distance} of 128 bits differ${byDeep}` };
      } else {
        // a mark found by its sync pattern alone was read without a check: a wrong payload there says nothing of whose it is
        const detail = ex.checked
          ? 'a watermark was detected, but its payload belongs to no record on this desk'
          : 'a watermark was found by its sync pattern, but its payload failed its checksum and matches no record on this desk: it could not be read reliably';
        watermark = { status: 'fail', payload, score: round(ex.score), deep, checked: ex.checked, nearestDistance: wmNearest?.distance ?? null, detail };
        wmNearest = null;
      }
    }
  }
  const copyLuma = layoutLuma(raster, watermarkLuma);
  const copySize = { width: raster.width, height: raster.height };
  releasePixels(pixels);

  // Perceptual hash.
  const phNearest = nearest(known.map((k) => ({ id: k.id, value: k.phash })), phash);

  // The record this file is traced to: exact bytes first, then the watermark, then the pHash.
  const manifestRecord = c2pa.recordId ? getRecord(ctx.db, c2pa.recordId) : null;
  const recordId = exact?.id ?? publishedBytes?.itemId ?? wmNearest?.id ?? manifestRecord?.id ?? (phNearest && phNearest.distance <= PHASH_MAX_DISTANCE ? phNearest.id : null);
  const record: SignedRecord | null = recordId ? (exact ?? getRecord(ctx.db, recordId)) : null;

  let phashCheck: Check;
  const recordPhashDistance = record?.phash ? hammingHex(record.phash, phash) : null;
  if (record && recordPhashDistance !== null) {
    phashCheck = recordPhashDistance <= PHASH_MAX_DISTANCE
      ? { status: 'pass', recordId: record.id, distance: recordPhashDistance, phash, detail: `looks like record ${record.id}: ${recordPhashDistance} of 64 bits differ` }
      : { status: 'fail', recordId: record.id, distance: recordPhashDistance, phash, detail: `the picture differs from record ${record.id}: ${recordPhashDistance} of 64 bits differ (at most ${PHASH_MAX_DISTANCE} for a match)` };
  } else {
    phashCheck = { status: 'absent', phash, nearestDistance: phNearest?.distance ?? null, detail: 'no signed picture on this desk looks like this one' };
  }

  // A watermark found on a picture whose pHash is far from its record's was copied onto another picture.
  if (watermark.status === 'pass' && recordPhashDistance !== null && recordPhashDistance > PHASH_COPIED_WATERMARK) {
    watermark = { ...watermark, status: 'fail', copied: true, detail: `the watermark of record ${record?.id} sits on a different picture (${recordPhashDistance} of 64 pHash bits differ): it was copied` };
  }

  const signature = signatureCheck(ctx.db, record, { sha256, c2pa, phashDistance: recordPhashDistance, published: publishedBytes });
  // Where the content changed: the copy laid over the record's picture layout.
  const exactBytes = record !== null && (record.sha256 === sha256 || record.outputSha256 === sha256 || publishedBytes?.itemId === record.id);
  const layout = layoutCheck(record, exactBytes, c2pa, copyLuma, copySize);

  const checks: Checks = {
    sha256: exactBytesCheck(exact, record, sha256, publishedBytes),
    signature,
    watermark,
    phash: phashCheck,
    c2pa: c2pa.check,
    anchor: anchorCheck(ctx.db, record?.id ?? null),
    layout: layout.check,
  };
  const publication = record ? latestPublication(ctx.db, record.id) : null;
  const { verdict, confidence } = verdictForFile(decideVerdict(checks), { sha256, record, publication });
  const regions = layout.comparison?.aligned ? layout.comparison.regions : undefined;
  const metadata = await metadataSignal(c2pa, record, bytes, format);
  return {
    file: path, format, verdict, confidence, recordId: record?.id ?? null, checks,
    ...(record ? { signed: signedSummary(record) } : {}),
    ...(publication ? { publication } : {}),
    ...(metadata ? { metadata } : {}),
    ...(regions && record?.width && record.height ? { regions, original: { width: record.width, height: record.height }, footprint: layout.comparison!.footprint } : {}),
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
