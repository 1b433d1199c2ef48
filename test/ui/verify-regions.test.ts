// Issue 21 §1 on the Verify screen, in a real browser: a copy with a black box over the face is Tampered, and the
// box is drawn over the dropped copy and over the signed original's preview, in the same place; a crop of the same
// photo draws nothing. The screenshot goes to test-output/screenshots/verify-regions.png (and, when
// CUSTODY_SCREENSHOT_DIR is set, there too).
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { photo } from '../fixtures/photos.ts';
import { SCREENSHOTS, UI_WAIT, screenshot, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { tempDesk } from '../helpers/desk.ts';

const ui = useUi(() => tempDesk('Regions Desk'));
const BOX = { x: 180, y: 60, w: 160, h: 160 };

describe('Verify screen: where a copy was changed', () => {
  it('outlines a painted-over face on the copy and on the signed original, at the same place', async () => {
    const dir = tempDir();
    const src = join(dir, 'astronaut.png');
    await sharp(photo('astronaut.png')).toFile(src);
    const signed = await ui.desk.sign(src, { actor: ui.desk.bootstrapActor()!, outDir: dir });
    const copy = join(dir, 'astronaut-edited.jpg');
    await sharp(signed.output).composite([{ input: { create: { width: BOX.w, height: BOX.h, channels: 3, background: '#000' } }, left: BOX.x, top: BOX.y }]).jpeg({ quality: 90 }).toFile(copy);

    await ui.page.getByRole('link', { name: 'Verify' }).click();
    await ui.page.getByRole('button', { name: 'Drop any copy to verify it' }).getByTestId('file-input').setInputFiles(copy);
    const verdict = ui.page.getByTestId('verdict');
    await expect.poll(() => verdict.getByTestId('verdict-title').textContent(), UI_WAIT).toMatch(/^Tampered: The picture is ours, but part of it was changed after signing/);
    expect(await verdict.getByTestId('check-layout').textContent()).toMatch(/Picture content\s*Failed/);
    const regions = ui.page.getByTestId('regions');
    for (const side of ['regions-copy', 'regions-original']) {
      const fig = regions.getByTestId(side);
      await fig.locator('img').waitFor(UI_WAIT);
      await expect.poll(() => fig.locator('img').evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0), UI_WAIT).toBe(true);
      expect(await fig.getByTestId('region').count()).toBe(1);
      // the outline sits where the box was painted: compare in fractions of the picture
      const [pic, box] = await Promise.all([fig.locator('.regions-picture').boundingBox(), fig.getByTestId('region').boundingBox()]);
      const frac = { x: (box!.x - pic!.x) / pic!.width, y: (box!.y - pic!.y) / pic!.height, w: box!.width / pic!.width, h: box!.height / pic!.height };
      expect(Math.abs(frac.x - BOX.x / 512)).toBeLessThan(0.04);
      expect(Math.abs(frac.y - BOX.y / 512)).toBeLessThan(0.04);
      expect(Math.abs(frac.w - BOX.w / 512)).toBeLessThan(0.08);
      expect(Math.abs(frac.h - BOX.h / 512)).toBeLessThan(0.08);
    }
    expect(await regions.locator('.legend').textContent()).toMatch(/Changed: something else is shown here/);
    await regions.scrollIntoViewIfNeeded();
    await screenshot(ui.page, 'verify-regions');
    if (process.env.CUSTODY_SCREENSHOT_DIR) copyFileSync(join(SCREENSHOTS, 'verify-regions.png'), join(process.env.CUSTODY_SCREENSHOT_DIR, 'verdicts-regions.png'));

    // a crop of the same signed photo: derived, nothing drawn
    const crop = join(dir, 'astronaut-crop.jpg');
    await sharp(signed.output).extract({ left: 26, top: 26, width: 460, height: 460 }).jpeg({ quality: 85 }).toFile(crop);
    await ui.page.getByRole('button', { name: 'Drop any copy to verify it' }).getByTestId('file-input').setInputFiles(crop);
    await expect.poll(() => verdict.getByTestId('verdict-title').textContent(), UI_WAIT).toMatch(/^Derived/);
    expect(await ui.page.getByTestId('regions').count()).toBe(0);
  }, 120_000);

  it('raised no script errors and broke no content security policy', () => {
    expect(ui.errors).toEqual([]);
  });
});
