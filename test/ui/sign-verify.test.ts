// The desk UI in a real browser (web mode + Chromium): sign a photo through the Sign screen, then verify the
// signed copy through the Verify screen.
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../../cli/web.ts';
import type { Desk } from '../../core/desk.ts';
import { photo } from '../fixtures/photos.ts';
import { SCREENSHOTS, launchChromium, rendererBuild } from '../helpers/browser.ts';
import { tempDir } from '../helpers/cli.ts';
import { tempDesk } from '../helpers/desk.ts';

let desk: Desk;
let web: WebServer;
let browser: Browser;

beforeAll(async () => {
  desk = await tempDesk('UI Desk');
  web = await startWebServer(desk, { rendererDir: rendererBuild() });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await web?.close();
  desk?.close();
});

describe('web UI', () => {
  it('signs a photo and verifies the signed copy', async () => {
    const dir = tempDir();
    const src = join(dir, 'harbour.jpg');
    await sharp(photo('coffee.png')).jpeg({ quality: 92 }).toFile(src);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(web.url);
    await expect.poll(() => page.getByText('UI Desk').count()).toBe(1);

    await page.getByLabel('Drop photos to sign, or choose files').setInputFiles(src);
    const receipt = page.getByTestId('receipt');
    await receipt.waitFor({ timeout: 30_000 });
    expect(await receipt.textContent()).toMatch(/harbour\.jpg signed as record rec_[0-9a-z]{26}; watermark embedded/);
    await expect.poll(() => page.getByRole('cell', { name: 'harbour.jpg' }).count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'sign.png') });

    const [item] = desk.items();
    await page.getByLabel('Drop any copy to verify it').setInputFiles(item!.outputPath!);
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor({ timeout: 30_000 });
    expect(await verdict.locator('h3').textContent()).toMatch(/^Authentic/);
    expect(await verdict.textContent()).toContain(item!.id);
    await page.screenshot({ path: join(SCREENSHOTS, 'verify.png') });

    // An unrelated photo: unknown, in plain words.
    const other = join(dir, 'other.png');
    await sharp(photo('astronaut.png')).toFile(other);
    await page.getByLabel('Drop any copy to verify it').setInputFiles(other);
    await expect.poll(() => verdict.locator('h3').textContent()).toMatch(/^Unknown/);
    await page.close();
  });
});
