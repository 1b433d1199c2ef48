// The verify page for anyone, in Chromium over web mode on a desk with users: a visitor who never logs in drops a
// copy and reads the verdict in a sentence, who signed it and when, the copy beside the signed original, and the
// checks behind "Details"; the upload is gone once the answer is shown (and after a failure); the verdict's record
// link opens the record as a verifier may see it, not the login page. Screenshots at 1280×800 and 1920×1080,
// light and dark.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { photo } from '../fixtures/photos.ts';
import { UI_WAIT, screenshots, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { addUsers, testDesk } from '../helpers/workflow-desk.ts';
import { attack, loadRaster, pngOf } from '../../bench/watermark-attacks.ts';
import { embedWatermark } from '../../core/media/watermark/codec.ts';

let recordId = '';
let copy = '';
let reframedId = '';
let reframed = '';
let foreign = '';

const ui = useUi(async () => {
  const { desk, admin } = await testDesk();
  await addUsers(desk, admin, { erin: ['editor'] });
  const dir = tempDir();
  const src = join(dir, 'harbour.jpg');
  await sharp(photo('coffee.png')).jpeg({ quality: 92 }).toFile(src);
  const r = await desk.sign(src, { actor: { name: 'erin', roles: ['editor'] }, outDir: dir });
  recordId = r.recordId;
  copy = join(dir, 'harbour-from-the-web.jpg');
  await sharp(r.output).resize(400).jpeg({ quality: 75 }).toFile(copy);
  // a copy squeezed to 90 % of its height, cropped by 10 % and re-encoded as WebP 75: the usual search misses its mark,
  // and verify searches deeper on its own, since the copy looks like a signed photo
  const gravel = join(dir, 'gravel.png');
  await sharp(photo('gravel.png')).toFile(gravel);
  const g = await desk.sign(gravel, { actor: { name: 'erin', roles: ['editor'] }, outDir: dir });
  reframedId = g.recordId;
  reframed = join(dir, 'gravel-reframed.png');
  writeFileSync(reframed, await pngOf(await attack(await loadRaster(g.output), 'squeeze90+crop10+webp75', 1)));
  // a photo marked elsewhere (no record on this desk), reframed the same way: it looks like no signed photo, so only
  // the deeper search asked for finds its mark
  foreign = join(dir, 'grass-reframed.png');
  const marked = embedWatermark(await loadRaster(photo('grass.png')), new Uint8Array(16).map((_, i) => (i * 53 + 7) & 255));
  writeFileSync(foreign, await pngOf(await attack(marked, 'squeeze90+crop10+webp75', 1)));
  return desk;
});

const dropZone = () => ui.page.getByRole('button', { name: 'Drop any copy to verify it' }).getByTestId('file-input');

describe('the verify page for a visitor without an account', () => {
  it('verifies a copy with no login and explains it in a sentence, with who signed it and the pictures side by side', async () => {
    await ui.page.goto(`${ui.web.url}#/verify`);
    await ui.page.getByRole('heading', { name: 'Verify', level: 1 }).waitFor(UI_WAIT);
    expect(await ui.page.getByLabel('Password').count()).toBe(0);
    expect(await ui.page.getByTestId('verify-lead').textContent()).toMatch(/No account needed\. The file goes only to this desk, is checked, and is deleted as soon as the answer is shown/);
    await dropZone().setInputFiles(copy);
    const verdict = ui.page.getByTestId('verdict');
    await expect.poll(() => verdict.getByTestId('verdict-title').textContent(), UI_WAIT).toMatch(/^Derived: A copy of the picture signed as record rec_\w+: [^.]+\.$/);
    expect(await verdict.getByTestId('verdict-title').textContent()).not.toContain('harbour.jpg');
    expect(await verdict.getByTestId('signed-by').textContent()).toMatch(new RegExp(`^Signed by Test Newsroom on .+\\. Record ${recordId}$`));
    // The copy beside the signed original, whose picture a visitor sees only once it is published.
    await expect.poll(() => verdict.getByTestId('pair-copy').locator('img').evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0), UI_WAIT).toBe(true);
    expect(await verdict.getByTestId('pair-original').textContent()).toMatch(/Shown once the organisation publishes it/);
    // Every signal, behind Details.
    const details = verdict.getByTestId('details');
    expect(await details.evaluate((d: HTMLDetailsElement) => d.open)).toBe(false);
    expect(await details.locator('summary').textContent()).toMatch(/^Details: \d of 7 checks passed · confidence \d+ %$/);
    expect(await details.getByTestId('check-watermark').isVisible()).toBe(false);
    await details.locator('summary').click();
    expect(await details.getByTestId('check-watermark').textContent()).toMatch(/Invisible watermark\s*Passed/);
    expect(readdirSync(ui.web.uploads.dir)).toEqual([]);
    await details.locator('summary').click();

    await screenshots(ui.page, 'verify-public', () => ui.page.evaluate(() => document.querySelector('main')?.scrollTo(0, 0)));
  });

  it('finds the mark of a reframed copy of a signed photo on its own, and offers the deeper search for one that looks like none', async () => {
    await dropZone().setInputFiles(reframed);
    const verdict = ui.page.getByTestId('verdict');
    await expect.poll(async () => (await verdict.getByTestId('signed-by').count()) && verdict.getByTestId('signed-by').textContent(), UI_WAIT).toContain(`Record ${reframedId}`);
    await verdict.getByTestId('details').locator('summary').click();
    expect(await verdict.getByTestId('check-watermark').textContent()).toMatch(/Invisible watermark\s*Passed\s*watermark of record rec_\w+, 0 of 128 bits differ, found by the deep search, run because the copy looks like a signed photo/);
    expect(await ui.page.getByTestId('deep-search').count()).toBe(0);

    await dropZone().setInputFiles(foreign);
    const offer = ui.page.getByTestId('deep-search');
    await offer.waitFor(UI_WAIT);
    const details = ui.page.getByTestId('verdict').getByTestId('details');
    await details.locator('summary').click();
    expect(await details.getByTestId('check-watermark').textContent()).toMatch(/Invisible watermark\s*Not found/);
    await offer.getByRole('button', { name: 'Search deeper' }).click();
    await expect.poll(async () => (await ui.page.getByTestId('verdict').getByTestId('check-watermark').textContent()) ?? '', UI_WAIT).toMatch(/Invisible watermark\s*Failed\s*a watermark was detected, but its payload belongs to no record on this desk/);
    expect(await offer.count()).toBe(0);
    expect(readdirSync(ui.web.uploads.dir)).toEqual([]);
  });

  it('deletes the upload after a failure too, and says what went wrong', async () => {
    const broken = join(tempDir(), 'broken.jpg');
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(broken, readFileSync(copy).subarray(0, 700));
    await dropZone().setInputFiles(broken);
    await expect.poll(() => ui.page.getByRole('alert').count(), UI_WAIT).toBeGreaterThan(0);
    expect(await ui.page.getByRole('alert').first().textContent()).toMatch(/expected/i);
    expect(readdirSync(ui.web.uploads.dir)).toEqual([]);
  });

  it("follows the verdict's record link to the record as a verifier may see it, not to the login page", async () => {
    await dropZone().setInputFiles(copy);
    await ui.page.getByTestId('record-link').click();
    const record = ui.page.getByTestId('public-record');
    await record.waitFor(UI_WAIT);
    expect(ui.page.url()).toContain(`#/records/${recordId}`);
    expect(await ui.page.getByLabel('Password').count()).toBe(0);
    expect(await ui.page.getByTestId('record-signer').textContent()).toBe('Test Newsroom');
    expect(await ui.page.getByTestId('record-published').textContent()).toBe('Not published');
    expect(await ui.page.getByTestId('record-anchor').textContent()).toMatch(/not connected to the organisation’s public log/);
    expect(await record.textContent()).not.toMatch(/erin|harbour|Open in the library/);
    await screenshots(ui.page, 'record-public');
    // A typed address of the same kind works as well, and the rest of the desk still asks who is acting.
    await ui.page.evaluate(() => (window.location.hash = '#/library'));
    await ui.page.getByLabel('Password').waitFor(UI_WAIT);
  });

  it('raised no script errors and broke no content security policy', () => {
    expect(ui.errors).toEqual([]);
  });
});
