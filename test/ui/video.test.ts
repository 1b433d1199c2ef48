// A video through the screens (web mode + Chromium): signed from the Sign screen with its preview frame, and a copy
// with a stretch replaced verified on the Verify screen, whose timeline marks where the copy departs.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebServer } from '../../cli/web.ts';
import type { Desk } from '../../core/desk.ts';
import { makeOtherFootage, makeSlideshow, splice } from '../fixtures/video.ts';
import { UI_WAIT, openUi, screenshot } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { tempDesk } from '../helpers/desk.ts';

let desk: Desk;
let web: WebServer;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  desk = await tempDesk('Video Desk');
  ({ web, browser, page } = await openUi(desk, errors));
});
afterAll(async () => {
  await browser?.close();
  await web?.close();
  desk?.close();
});

describe('a video in the browser', () => {
  it('signs a video from the Sign screen, with a preview frame', async () => {
    const src = join(tempDir(), 'interview.mp4');
    await makeSlideshow(src, { width: 320, height: 240, fps: 25, seconds: 20 });
    await page.getByRole('button', { name: 'Drop photos to sign, or choose files' }).getByTestId('file-input').setInputFiles(src);
    const job = page.getByTestId('sign-job');
    await expect.poll(() => job.locator('.job-state').textContent(), { ...UI_WAIT, timeout: 90_000 }).toBe('Signed');
    expect(await job.getByTestId('receipt').textContent()).toMatch(/Record rec_[0-9a-z]{26} · watermark skipped · Content Credentials embedded/);
    await job.locator('img').waitFor();
    expect(await job.locator('img').getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    expect(desk.items().map((r) => `${r.kind}:${r.inputName}`)).toEqual(['video:interview.mp4']);
  });

  it('verifies a copy with a stretch replaced: the timeline marks it, the rest still traces', async () => {
    const item = desk.items()[0]!;
    const dir = tempDir();
    const other = join(dir, 'other.mp4');
    const copy = join(dir, 'edited.mp4');
    await makeOtherFootage(other, { width: 320, height: 240, fps: 25, seconds: 5 });
    await splice(item.outputPath!, other, copy, 5, 10);

    await page.getByRole('link', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Drop any copy to verify it' }).getByTestId('file-input').setInputFiles(copy);
    const segments = page.getByTestId('segments').locator('li');
    await expect.poll(() => segments.count(), { ...UI_WAIT, timeout: 90_000 }).toBeGreaterThanOrEqual(4);
    const labels = await segments.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    expect(labels[0]).toMatch(/^0:00 to 0:05: (Unchanged|Re-encoded)$/);
    expect(labels.find((l) => l?.startsWith('0:05 to 0:10'))).toMatch(/Changed|Cut|Added/);
    expect(labels.at(-1)).toMatch(/to 0:20: (Unchanged|Re-encoded)$/);
    expect(await page.getByTestId('verdict-title').textContent()).not.toMatch(/^Authentic/);
    expect(await page.getByText('The segment chain is broken').count()).toBe(1);
    await screenshot(page, 'verify-video-real');
  });

  it('raised no script errors and broke no content security policy', () => {
    expect(errors).toEqual([]);
  });
});
