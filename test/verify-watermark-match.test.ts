// Verify matches a copy against the records whose picture looks like it when blind extraction reads no mark
// (verify-image.ts, matchKnown): a reshared copy of a web-sized photo (crop 10 %, halve, JPEG 70, then WebP 75; one the
// list decoder cannot read by luck, helpers/reshare.ts) names its own record by its watermark, even among records whose
// pictures look the same to the pHash (two frames of a burst), and the unsigned original's copy matches none. A real
// desk, its signing pipeline and sharp's encoders.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import type { Raster } from '../core/media/watermark/codec.ts';
import { MATCH_PARAMS } from '../core/media/watermark/match.ts';
import { attack, loadRaster, pngOf } from '../bench/watermark-attacks.ts';
import { unreadableReshare } from './helpers/reshare.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
const work = tempDir();
const records: { id: string; output: string }[] = [];

async function saved(copy: Raster, name: string): Promise<string> {
  const path = join(work, name);
  await sharp(await pngOf(copy)).toFile(path);
  return path;
}

beforeAll(async () => {
  desk = await tempDesk();
  await desk.unlock(new PassphraseProtector('test passphrase'));
  // two frames of a "burst": the same scene, the second a touch brighter; the pHash cannot tell them apart
  const first = join(work, 'frame-1.png');
  const second = join(work, 'frame-2.png');
  await sharp(photo('camera.png')).toFile(first);
  await sharp(photo('camera.png')).modulate({ brightness: 1.06 }).toFile(second);
  for (const src of [first, second]) {
    const r = await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: work });
    records.push({ id: r.recordId, output: r.output });
  }
}, 90_000);
afterAll(() => desk?.close());

describe('verify matches a copy against the records that look like it', () => {
  it('names the record of a reshared copy by its watermark, though the mark cannot be read blind', async () => {
    for (const [i, rec] of records.entries()) {
      const { copy } = await unreadableReshare(await loadRaster(rec.output));
      const report = await desk.verify(await saved(copy, `reshare-${i}.png`));
      expect(report.checks.watermark).toMatchObject({ status: 'pass', matched: true, recordId: rec.id });
      expect(report.checks.watermark.score as number).toBeGreaterThanOrEqual(MATCH_PARAMS.threshold);
      expect(report.checks.watermark.detail).toContain('matched');
      expect(report.recordId).toBe(rec.id);
      expect(report.verdict).toBe('derived');
      expect(report.checks.phash.status).toBe('pass');
    }
  }, 60_000);

  it('matches no record in a reshare of the unsigned original: the pHash alone traces it', async () => {
    const path = await saved(await attack(await loadRaster(photo('camera.png')), 'reshare', 1), 'reshare-unsigned.png');
    const report = await desk.verify(path);
    expect(report.checks.watermark.status).toBe('absent');
    expect(report.checks.phash.status).toBe('pass');
  }, 60_000);
});
