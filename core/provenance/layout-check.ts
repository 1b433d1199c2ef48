// The layout check: the copy laid over the signed picture's layout (core/media/layout-compare.ts). A global
// transform (re-encode, resize, crop, brightness) passes; a local change of content fails, with its regions.
import { compareLayout, type LayoutComparison } from '../media/layout-compare.ts';
import { decodeLayout, type Layout } from '../media/layout.ts';
import type { SignedRecord } from '../store/records.ts';
import { layoutBinding } from './layout-signature.ts';
import type { Check } from './checks.ts';
import { vouchedCustody, type C2paResult } from './verify-common.ts';

/**
 * The record's layout: from the record itself, or else from this file's own Content Credentials when they vouch for
 * this very record (vouchedCustody) (a record signed elsewhere, known here through its credentials).
 */
export function layoutOf(record: SignedRecord, c2pa: C2paResult): Layout | null {
  // only a layout the record's key signed (or one kept before layouts were signed): an altered one fails the
  // signature check instead (layout-signature.ts)
  const binding = layoutBinding(record);
  const stored = binding.status === 'signed' || binding.status === 'legacy' ? binding.layout : null;
  const carried = vouchedCustody(c2pa, record)?.layout ?? null;
  const text = stored ?? carried;
  if (!text) return null;
  try {
    return decodeLayout(text);
  } catch {
    return null;
  }
}

export interface LayoutResult {
  check: Check;
  comparison: LayoutComparison | null;
}

const pct = (x: number): string => `${Math.round(x * 100)} %`;

export function layoutCheck(record: SignedRecord | null, exactBytes: boolean, c2pa: C2paResult, copy: { luma: Float32Array; width: number; height: number }, copySize: { width: number; height: number }): LayoutResult {
  if (!record) return { check: { status: 'skipped', reason: 'NO_RECORD', detail: 'no signed picture to compare the content with' }, comparison: null };
  if (exactBytes) return { check: { status: 'pass', recordId: record.id, detail: 'the very bytes of the signed file: nothing in the picture changed' }, comparison: null };
  const layout = layoutOf(record, c2pa);
  if (!layout || !record.width || !record.height) {
    return { check: { status: 'skipped', reason: 'NO_LAYOUT', recordId: record.id, detail: `record ${record.id} was signed before Custody kept a picture's layout, so changed areas cannot be located` }, comparison: null };
  }
  const original = { width: record.width, height: record.height };
  const cmp = compareLayout(layout, original, copy.luma, copy.width, copy.height, copySize);
  const evidence = { recordId: record.id, footprint: cmp.footprint, scale: cmp.scale, matchedShare: cmp.inliers, gain: cmp.gain, offset: cmp.offset, ...(cmp.rotation ? { rotation: cmp.rotation } : {}) };
  if (!cmp.aligned) {
    return { check: { status: 'skipped', reason: 'NOT_ALIGNED', ...evidence, detail: `the copy cannot be laid over the signed picture (rotated, mirrored, cropped to under half, or changed all over), so changed areas cannot be located` }, comparison: cmp };
  }
  const shown = (cmp.footprint.w * cmp.footprint.h) / (original.width * original.height);
  const framing = shown < 0.985 ? `it shows ${pct(shown)} of the signed picture` : 'it shows the whole signed picture';
  const scale = Math.abs(cmp.scale - 1) > 0.02 ? ` at ${pct(cmp.scale)} of its size` : '';
  const turn = cmp.rotation ? `, turned ${Math.abs(cmp.rotation)}° ${cmp.rotation > 0 ? 'clockwise' : 'anticlockwise'}` : '';
  if (cmp.regions.length === 0) {
    return { check: { status: 'pass', ...evidence, regions: [], detail: `laid over the signed picture, ${framing}${scale}${turn}, and no part of its content was changed` }, comparison: cmp };
  }
  const largest = cmp.regions.reduce((a, b) => (a.w * a.h >= b.w * b.h ? a : b));
  const what = cmp.regions[0]?.kind === 'global' ? 'most of the picture differs from the signed one' : `${cmp.regions.length === 1 ? 'one area of the picture differs' : `${cmp.regions.length} areas of the picture differ`} from the signed one (the largest ${largest.w}×${largest.h} px at ${largest.x},${largest.y} of the original)`;
  return { check: { status: 'fail', ...evidence, regions: cmp.regions, detail: `laid over the signed picture, ${framing}${scale}${turn}, but ${what}` }, comparison: cmp };
}
