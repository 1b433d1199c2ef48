// A mark whose payload matches no record: the verify report says whether that payload passed its checksum. One read
// without a check (found by its sync pattern alone) may be wrong in many bits, so it says nothing of whose mark it is.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { embedWatermark } from '../core/media/watermark/codec.ts';
import { EXTRACT_PARAMS } from '../core/media/watermark/extract.ts';
import { loadRaster } from '../bench/watermark-attacks.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
let file: string;

beforeAll(async () => {
  desk = await tempDesk('Daily Planet');
  // a mark of nobody's: embedded by the codec itself, with a payload no record of this desk has
  const img = embedWatermark(await loadRaster(photo('rocket.jpg')), new Uint8Array(16).map((_, i) => (i * 37 + 11) & 255));
  file = join(tempDir(), 'foreign-mark.png');
  writeFileSync(file, await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 2 | 3 | 4 } }).png().toBuffer());
}, 60_000);
afterAll(() => desk?.close());

describe('a watermark whose payload matches no record', () => {
  it('read with its CRC-24: a mark of no record of this desk', async () => {
    const report = await desk.verify(file);
    expect(report.checks.watermark).toMatchObject({ status: 'fail', checked: true, detail: 'a watermark was detected, but its payload belongs to no record on this desk' });
  });

  it('found by its sync pattern alone: the payload could not be read reliably', async () => {
    const { verify, verifyRefined } = EXTRACT_PARAMS;
    try {
      EXTRACT_PARAMS.verify = 0;
      EXTRACT_PARAMS.verifyRefined = 0;
      const report = await desk.verify(file);
      expect(report.checks.watermark).toMatchObject({ status: 'fail', checked: false });
      expect(report.checks.watermark.detail).toContain('failed its checksum');
    } finally {
      Object.assign(EXTRACT_PARAMS, { verify, verifyRefined });
    }
  });
});
