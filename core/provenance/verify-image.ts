// The image verify pipeline. Works offline against the desk database; nothing leaves the machine.
import { readFile } from 'node:fs/promises';
import { verifyCustodyPq } from '../c2pa/mldsa.ts';
import { readManifest } from '../c2pa/read.ts';
import { verify as verifyEd25519 } from '../crypto/ed25519.ts';
import { listSigningKeys } from '../crypto/keyring.ts';
import type { ImageFormat, Limits } from '../media/detect.ts';
import { hammingHex, sha256Hex } from '../media/hash.ts';
import { decodeImage, probeImage } from '../media/image.ts';
import { phashHex, phashPixels } from '../media/phash.ts';
import { WATERMARK_MIN_SIDE, extractWatermark } from '../media/watermark/codec.ts';
import type { ReadableDB } from '../store/db.ts';
import { findBySha256, getRecord, imageFingerprints, type SignedRecord } from '../store/records.ts';
import { PHASH_COPIED_WATERMARK, PHASH_MAX_DISTANCE, WATERMARK_MAX_DISTANCE, type Check, type Checks, type VerifyReport } from './checks.ts';
import { C2PA_MIME } from './sign-image.ts';
import { decideVerdict } from './verdict.ts';

export interface VerifyContext {
  db: ReadableDB;
  limits: Limits;
  /** PEM bundle of the roots a manifest may chain to (the org root and the configured trust list). */
  trustAnchorsPem: string;
}

/** The C2PA check: present, valid (content matches its credentials), trusted (chains to an anchor). */
async function c2paCheck(bytes: Uint8Array, format: ImageFormat, trustAnchorsPem: string): Promise<{ check: Check; recordId: string | null }> {
  const mime = C2PA_MIME[format];
  if (!mime) return { check: { status: 'skipped', reason: 'FORMAT_NOT_SUPPORTED_BY_C2PA', detail: `Content Credentials are not read from ${format.toUpperCase()} files` }, recordId: null };
  const m = await readManifest(bytes, mime, { trustAnchorsPem });
  if (!m) return { check: { status: 'absent', detail: 'the file carries no Content Credentials' }, recordId: null };
  const pq = m.custody ? verifyCustodyPq(m.custody) : null;
  const who = [m.signer.commonName, m.signer.organization].filter(Boolean).join(', ') || 'an unnamed signer';
  const evidence = {
    valid: m.valid,
    trusted: m.trusted,
    validationState: m.validationState,
    signer: m.signer,
    actions: m.actions.map((a) => a.action),
    history: m.history.map((h) => ({ signer: h.signer.organization ?? h.signer.commonName, actions: h.actions.map((a) => a.action) })),
    validationCodes: m.validationCodes,
    custodyRecordId: m.custody?.recordId ?? null,
    pqSignature: pq === null ? 'absent' : pq ? 'pass' : 'fail',
  };
  const recordId = m.valid ? (m.custody?.recordId ?? null) : null;
  if (!m.valid) {
    return { check: { status: 'fail', ...evidence, detail: `the Content Credentials no longer match the content (${m.validationCodes.join(', ') || m.error || 'invalid'})` }, recordId };
  }
  if (pq === false) return { check: { status: 'fail', ...evidence, detail: 'the ML-DSA-65 co-signature in the Content Credentials does not verify' }, recordId };
  if (!m.trusted) return { check: { status: 'fail', ...evidence, detail: `valid Content Credentials signed by ${who}, a signer this desk does not trust` }, recordId };
  return { check: { status: 'pass', ...evidence, detail: `valid Content Credentials signed by ${who}, trusted${pq ? ', with a valid ML-DSA-65 co-signature' : ''}` }, recordId };
}

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

export async function verifyImage(ctx: VerifyContext, path: string, format: ImageFormat): Promise<VerifyReport> {
  const bytes = await readFile(path);
  const sha256 = sha256Hex(bytes);
  await probeImage(bytes, format, ctx.limits);
  const raster = await decodeImage(bytes, format, ctx.limits);
  const phash = phashHex(phashPixels(raster.data, raster.width, raster.height, raster.channels));
  const known = imageFingerprints(ctx.db);

  // Exact bytes: the signed output or its original.
  const exact = findBySha256(ctx.db, sha256)[0] ?? null;
  const c2pa = await c2paCheck(bytes, format, ctx.trustAnchorsPem);

  // Watermark.
  let watermark: Check;
  let wmNearest: Nearest | null = null;
  if (Math.min(raster.width, raster.height) < WATERMARK_MIN_SIDE) {
    watermark = { status: 'skipped', reason: 'IMAGE_TOO_SMALL_FOR_WATERMARK', detail: `the image is ${raster.width}×${raster.height}; watermarks need ${WATERMARK_MIN_SIDE} px on the short side` };
  } else {
    const ex = extractWatermark(raster);
    if (!ex.detected || !ex.payload) {
      watermark = { status: 'absent', score: round(ex.score), threshold: ex.threshold, detail: 'no Custody watermark was detected' };
    } else {
      const payload = Buffer.from(ex.payload).toString('hex');
      wmNearest = nearest(known.map((k) => ({ id: k.id, value: k.payload })), payload);
      if (wmNearest && wmNearest.distance <= WATERMARK_MAX_DISTANCE) {
        watermark = { status: 'pass', recordId: wmNearest.id, distance: wmNearest.distance, payload, score: round(ex.score), detail: `watermark of record ${wmNearest.id}, ${wmNearest.distance} of 128 bits differ` };
      } else {
        watermark = { status: 'fail', payload, score: round(ex.score), nearestDistance: wmNearest?.distance ?? null, detail: 'a watermark was detected, but its payload belongs to no record on this desk' };
        wmNearest = null;
      }
    }
  }

  // Perceptual hash.
  const phNearest = nearest(known.map((k) => ({ id: k.id, value: k.phash })), phash);

  // The record this file is traced to: exact bytes first, then the watermark, then the pHash.
  const manifestRecord = c2pa.recordId ? getRecord(ctx.db, c2pa.recordId) : null;
  const recordId = exact?.id ?? wmNearest?.id ?? manifestRecord?.id ?? (phNearest && phNearest.distance <= PHASH_MAX_DISTANCE ? phNearest.id : null);
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

  const sha256Check: Check = exact
    ? { status: 'pass', recordId: exact.id, matched: exact.sha256 === sha256 ? 'original' : 'output', sha256, detail: `the exact bytes of ${exact.sha256 === sha256 ? 'the original' : 'the signed output'} of record ${exact.id}` }
    : record
      ? { status: 'fail', recordId: record.id, sha256, detail: `the bytes differ from record ${record.id}'s original and signed output` }
      : { status: 'absent', sha256, detail: 'no signed file on this desk has these exact bytes' };

  let signature: Check;
  if (!record) {
    signature = { status: 'absent', detail: 'no record to check a signature against' };
  } else {
    const ok = verifyEd25519(Buffer.from(record.signature, 'hex'), new TextEncoder().encode(record.fingerprint), Buffer.from(record.publicKey, 'hex'));
    const orgKey = listSigningKeys(ctx.db).some((k) => k.publicKey === record.publicKey);
    signature = ok
      ? { status: orgKey ? 'pass' : 'fail', keyId: record.keyId, orgKey, detail: orgKey ? `record ${record.id} is signed by org key ${record.keyId}` : `the signature verifies, but key ${record.keyId} is not one of this desk's keys` }
      : { status: 'fail', keyId: record.keyId, detail: `the signature of record ${record.id} does not verify: the record was altered` };
  }

  const checks: Checks = {
    sha256: sha256Check,
    signature,
    watermark,
    phash: phashCheck,
    c2pa: c2pa.check,
    anchor: { status: 'skipped', reason: 'NO_HUB', detail: 'no hub is configured, so no on-chain anchor was looked up' },
  };
  const { verdict, confidence } = decideVerdict(checks);
  return { file: path, format, verdict, confidence, recordId: record?.id ?? null, checks };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
