// The picture layout kept in a record row is under the record's own key (core/provenance/layout-signature.ts): an
// attacker who can write to desk.db and replaces a record's layout with that of an edited copy — so that the edit
// reads as a benign derivative — makes verification fail with a reason instead. Records from before layouts were
// signed verify as they did.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEdit } from '../bench/tamper-edits.ts';
import { loadRaster } from '../bench/watermark-attacks.ts';
import type { Raster } from '../core/media/watermark/codec.ts';
import { encodeLayout, layoutFromLuma, layoutLuma } from '../core/media/layout.ts';
import type { Desk } from '../core/desk.ts';
import { LAYOUT_SIGNED_SINCE, layoutBinding } from '../core/provenance/layout-signature.ts';
import { getRecord } from '../core/store/records.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
let work: string;
let recordId: string;
let signedPath: string;
let boxed: string;
let boxedLayout: string;

const png = async (r: Raster, name: string): Promise<string> => {
  const file = join(work, name);
  writeFileSync(file, await sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels as 3 } }).png().toBuffer());
  return file;
};
const details = (): Record<string, unknown> => getRecord(desk.store, recordId)!.details;
const setDetails = (d: Record<string, unknown>): void => void desk.store.raw.prepare('UPDATE records SET details = ? WHERE id = ?').run(JSON.stringify(d), recordId);

beforeAll(async () => {
  work = tempDir();
  desk = await tempDesk('Daily Planet');
  const src = join(work, 'astronaut.png');
  await sharp(photo('astronaut.png')).toFile(src);
  const receipt = await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: work });
  recordId = receipt.recordId;
  signedPath = receipt.output;
  // an edited copy: a black box over the face, and that copy's own layout (what the attacker would put in the row)
  const signed = await loadRaster(signedPath);
  const edited = (await applyEdit(signed, 'box', 0.05, 1, signed)).raster;
  boxed = await png(edited, 'boxed.png');
  const l = layoutLuma(edited, null);
  boxedLayout = encodeLayout(layoutFromLuma(l.luma, l.width, l.height, edited.width, edited.height));
}, 120_000);

afterAll(() => desk?.close());

describe('the layout in the record row is signed by the record key', () => {
  it('a record signed now carries the layout signature, and it verifies', () => {
    expect(details().layoutSignature).toMatch(/^[0-9a-f]{128}$/);
    expect(layoutBinding(getRecord(desk.store, recordId)!)).toMatchObject({ status: 'signed' });
  });

  it('the edited copy is tampered, with the box found (the layout as signed)', async () => {
    const r = await desk.verify(boxed);
    expect(r.verdict).toBe('tampered');
    expect(r.checks.signature.status).not.toBe('fail');
    expect(r.checks.layout).toMatchObject({ status: 'fail' });
  }, 60_000);

  it('the layout replaced by the edited copy’s own: verification fails, naming the altered layout', async () => {
    const original = details();
    setDetails({ ...original, layout: boxedLayout });
    try {
      const r = await desk.verify(boxed);
      expect(r.verdict).toBe('tampered');
      expect(r.checks.signature).toMatchObject({ status: 'fail', reason: 'LAYOUT_SIGNATURE_INVALID', detail: expect.stringMatching(/picture layout kept with record .* was changed after signing/) });
      // the altered layout is not used: no region drawn from it
      expect(r.checks.layout?.status).not.toBe('pass');
      // and the signed file itself no longer verifies as authentic either: its record was altered
      expect((await desk.verify(signedPath)).checks.signature).toMatchObject({ status: 'fail', reason: 'LAYOUT_SIGNATURE_INVALID' });
    } finally {
      setDetails(original);
    }
    expect((await desk.verify(signedPath)).verdict).toBe('authentic');
  }, 120_000);

  it('the layout signature removed, or the layout removed: fails too (a record signed since the rule has both)', async () => {
    const original = details();
    const { layoutSignature: _s, ...withoutSignature } = original;
    const { layout: _l, ...withoutLayout } = original;
    try {
      // dated after the rule: judged as a record that must carry both
      const late = { ...getRecord(desk.store, recordId)!, signedAt: LAYOUT_SIGNED_SINCE };
      expect(layoutBinding({ ...late, details: { ...withoutSignature, layout: boxedLayout } })).toMatchObject({ status: 'invalid', reason: 'LAYOUT_SIGNATURE_MISSING' });
      expect(layoutBinding({ ...late, details: withoutLayout })).toMatchObject({ status: 'invalid', reason: 'LAYOUT_SIGNATURE_INVALID' });
      setDetails(withoutLayout);
      expect((await desk.verify(boxed)).checks.signature).toMatchObject({ status: 'fail', reason: 'LAYOUT_SIGNATURE_INVALID' });
    } finally {
      setDetails(original);
    }
  }, 60_000);

  it('a record from before layouts were signed (its signed instant earlier) keeps its unsigned layout and verifies as before', () => {
    const rec = getRecord(desk.store, recordId)!;
    const { layoutSignature: _s, ...legacy } = rec.details;
    expect(layoutBinding({ ...rec, signedAt: '2026-12-03T10:00:00.000Z', details: legacy })).toMatchObject({ status: 'legacy' });
    expect(layoutBinding({ ...rec, kind: 'video', details: {} })).toEqual({ status: 'none' });
  });
});
