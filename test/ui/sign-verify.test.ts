// The desk UI in a real browser (web mode + Chromium) on a single-user desk: sign photos through the Sign screen
// (file chooser and a real drop), find them in the Library, verify the signed copy and a stranger, and render a
// video's segment timeline.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { DeskResult } from '../../core/api/desk-api.ts';
import { photo } from '../fixtures/photos.ts';
import { UI_WAIT, screenshots, useUi } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { tempDesk } from '../helpers/desk.ts';

const ui = useUi(() => tempDesk('UI Desk'));

/** The hidden file input behind a drop zone (what the browser's file chooser fills). */
const fileInput = (p: Page, zone: string) => p.getByRole('button', { name: zone }).getByTestId('file-input');

/** Drops a file on an element the way a file manager does: a drop event carrying a DataTransfer. */
async function dropFile(p: Page, selector: string, path: string, name: string): Promise<void> {
  const b64 = readFileSync(path).toString('base64');
  const dt = await p.evaluateHandle(({ b64, name }) => {
    const t = new DataTransfer();
    t.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type: 'image/jpeg' }));
    return t;
  }, { b64, name });
  await p.dispatchEvent(selector, 'drop', { dataTransfer: dt });
}

describe('web UI on a single-user desk', () => {
  it('opens on the Sign screen, drops the token from the address bar, and says who is acting', async () => {
    await ui.page.getByRole('heading', { name: 'Sign', level: 1 }).waitFor();
    expect(ui.page.url()).not.toContain('token=');
    expect(await ui.page.getByTestId('org').textContent()).toBe('UI Desk');
    expect(await ui.page.getByText('Single-user desk').count()).toBe(1);
  });

  it('signs files one by one with per-file progress, a record id and a preview each', async () => {
    const dir = tempDir();
    const harbour = join(dir, 'harbour.jpg');
    const cat = join(dir, 'cat.jpg');
    await sharp(photo('coffee.png')).jpeg({ quality: 92 }).toFile(harbour);
    await sharp(photo('chelsea.png')).jpeg({ quality: 92 }).toFile(cat);
    const bad = join(dir, 'notes.jpg');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, 'not a photo at all');

    // Clicking the drop zone opens the file chooser (in web mode, the browser's).
    const [chooser] = await Promise.all([ui.page.waitForEvent('filechooser'), ui.page.getByRole('button', { name: 'Drop photos to sign, or choose files' }).click()]);
    expect(chooser.isMultiple()).toBe(true);
    await chooser.setFiles([harbour, bad]);
    // A real drop of another file while the first are signing.
    await dropFile(ui.page, '[aria-label="Drop photos to sign, or choose files"]', cat, 'cat.jpg');

    const jobs = ui.page.getByTestId('sign-job');
    await expect.poll(() => jobs.count(), UI_WAIT).toBe(3);
    await expect.poll(() => ui.page.getByRole('status').filter({ hasText: 'signed.' }).textContent(), { ...UI_WAIT, timeout: 60_000 }).toBe('2 of 3 signed.');
    const harbourJob = jobs.filter({ hasText: 'harbour.jpg' });
    expect(await harbourJob.getByTestId('receipt').textContent()).toMatch(/Record rec_[0-9a-z]{26} · watermark embedded · Content Credentials embedded/);
    await harbourJob.locator('img').waitFor();
    expect(await harbourJob.locator('img').getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    expect(await jobs.filter({ hasText: 'cat.jpg' }).locator('.job-state').textContent()).toBe('Signed');
    const failed = jobs.filter({ hasText: 'notes.jpg' });
    expect(await failed.locator('.job-state').textContent()).toBe('Not signed');
    expect(await failed.getByRole('alert').textContent()).toMatch(/expected .*(JPEG|image)|not supported/i);
    expect(ui.desk.items().map((r) => r.inputName).sort()).toEqual(['cat.jpg', 'harbour.jpg']);
    await screenshots(ui.page, 'sign');
  });

  it('lists the signed items in the Library with previews, searchable, and opens one', async () => {
    await ui.page.getByRole('link', { name: 'Library' }).click();
    const tiles = ui.page.getByTestId('library-item');
    await expect.poll(() => tiles.count(), UI_WAIT).toBe(2);
    await tiles.first().locator('img').waitFor();
    await ui.page.getByLabel('Search').fill('harb');
    await expect.poll(() => tiles.count(), UI_WAIT).toBe(1);
    await tiles.first().click();
    const detail = ui.page.getByTestId('item-detail');
    await detail.getByRole('heading', { name: 'harbour.jpg' }).waitFor();
    const id = ui.desk.items().find((r) => r.inputName === 'harbour.jpg')!.id;
    expect(await detail.textContent()).toContain(id);
    expect(ui.page.url()).toContain(`#/library/${id}`);
    // Nobody can approve on a single-user desk, and the screen says there is nothing to do rather than offering it.
    await detail.getByTestId('no-actions').waitFor();
    await screenshots(ui.page, 'library');
  });

  it('verifies the signed copy as authentic and explains every check, and a stranger as unknown', async () => {
    await ui.page.getByRole('link', { name: 'Verify' }).click();
    const item = ui.desk.items().find((r) => r.inputName === 'harbour.jpg')!;
    await fileInput(ui.page, 'Drop any copy to verify it').setInputFiles(item.outputPath!);
    const verdict = ui.page.getByTestId('verdict');
    await verdict.waitFor({ timeout: 30_000 });
    expect(await verdict.getByTestId('verdict-title').textContent()).toMatch(/^Authentic: This is the file signed as record rec_[0-9a-z]{26}, unchanged\.$/);
    expect(await verdict.getByTestId('signed-by').textContent()).toMatch(/^Signed by UI Desk (\(desk [^)]+\) )?on /);
    expect(await verdict.textContent()).toContain(item.id);
    expect(await verdict.getByTestId('check-sha256').textContent()).toMatch(/Exact copy\s*Passed/);
    expect(await verdict.getByTestId('check-watermark').textContent()).toMatch(/Invisible watermark\s*Passed/);
    expect(await verdict.getByTestId('check-c2pa').textContent()).toMatch(/Content Credentials\s*Passed/);
    // the six signals, and the picture's content laid over the signed one
    expect(await verdict.locator('li.check-row').count()).toBe(7);
    await screenshots(ui.page, 'verify');

    const other = join(tempDir(), 'other.png');
    await sharp(photo('astronaut.png')).toFile(other);
    await fileInput(ui.page, 'Drop any copy to verify it').setInputFiles(other);
    await expect.poll(() => verdict.getByTestId('verdict-title').textContent(), UI_WAIT).toMatch(/^Unknown: Nothing on this desk vouches/);
    expect(await verdict.getByTestId('check-sha256').textContent()).toMatch(/Not found|Failed/);
  });

  it('draws a video verdict as a timeline of segments coloured by status, with a legend in words', async () => {
    // The video pipeline reports segments; here the desk's answer is stood in for, to test the screen alone.
    const report: DeskResult<'verify'> = {
      file: '/tmp/clip.mp4', format: 'mp4', verdict: 'derived', confidence: 0.7, recordId: 'rec_0000000000000000000000000v',
      checks: {
        sha256: { status: 'fail', detail: 'The bytes differ from the signed video.' },
        signature: { status: 'pass', detail: 'The signature over the fingerprint holds.' },
        watermark: { status: 'skipped', detail: 'Videos carry no watermark in this version.' },
        phash: { status: 'pass', detail: '8 of 10 segments match.' },
        c2pa: { status: 'absent', detail: 'No manifest.' },
        anchor: { status: 'skipped', detail: 'Not anchored yet.' },
      },
      chainIntact: false,
      changedRanges: [{ start: 10, end: 15, status: 'changed' }, { start: 15, end: 20, status: 'missing' }],
      segments: [
        { index: 0, start: 0, end: 5, status: 'match' }, { index: 1, start: 5, end: 10, status: 'similar' },
        { index: 2, start: 10, end: 15, status: 'changed' }, { index: 3, start: 15, end: 20, status: 'missing' },
        { index: 4, start: 20, end: 25, status: 'match' },
      ],
    };
    await ui.page.route('**/api/verify', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ok: true, result: report }) }));
    await fileInput(ui.page, 'Drop any copy to verify it').setInputFiles(ui.desk.items()[0]!.outputPath!);
    const segments = ui.page.getByTestId('segments').locator('li');
    await expect.poll(() => segments.count(), UI_WAIT).toBe(5);
    expect(await segments.evaluateAll((els) => els.map((e) => e.className))).toEqual([
      'segment seg-match', 'segment seg-similar', 'segment seg-changed', 'segment seg-missing', 'segment seg-match',
    ]);
    expect(await segments.nth(2).getAttribute('aria-label')).toBe('0:10 to 0:15: Changed');
    // Colours differ by status (and each status has its own word in the legend).
    const colours = await segments.evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
    expect(new Set(colours).size).toBe(4);
    expect(await ui.page.locator('.legend').textContent()).toMatch(/Unchanged.*Re-encoded.*Changed.*Cut/);
    // what happened, in words: never "chain broken" for footage that only re-encodes
    expect(await ui.page.getByText('3 of 5 signed segments traced; the rest was changed, cut or added (below).').count()).toBe(1);
    expect(await ui.page.getByTestId('changed-ranges').textContent()).toBe('Not traced to the signed video: 0:10–0:15 changed; 0:15–0:20 cut.');
    await screenshots(ui.page, 'verify-video');
    await ui.page.unroute('**/api/verify');
  });

  it('raised no script errors and broke no content security policy', () => {
    expect(ui.errors).toEqual([]);
  });
});
