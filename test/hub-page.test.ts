// The hub's public verification page in Debian's Chromium: an outsider, without an account, drops a re-encoded copy
// of a photo a desk signed and reads the verdict, the signing org and desk, and each signal in plain words; a photo
// nobody signed reads as unknown. Screenshots go to test-output/screenshots/.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { initHub, startHub, type RunningHub } from '../server/serve.ts';
import { photo } from './fixtures/photos.ts';
import { SCREENSHOTS, UI_WAIT, launchChromium } from './helpers/browser.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';
import { call, enrol, hubRecordOfSignedPng } from './helpers/hub-desk.ts';
import { attack, loadRaster, pngOf } from '../bench/watermark-attacks.ts';
import { unreadableReshare } from './helpers/reshare.ts';
import { embedWatermark, extractWatermark } from '../core/media/watermark/codec.ts';

let hub: RunningHub;
let desk: Desk;
let browser: Browser;
let dir: string;
let copyPath: string;
let deskKey: string;
const MATCHINGS = 6;
/** the payload of a mark made elsewhere: no record on the hub carries it */
const FOREIGN_PAYLOAD = new Uint8Array(16).map((_, i) => (i * 53 + 7) & 255);

beforeAll(async () => {
  dir = tempDir('custody-hub-page-');
  const init = await initHub({ dataDir: dir }, { org: 'Daily Planet' });
  // two deep searches and six matchings a minute on this hub (RateLimits.deepPerWindow, matchPerWindow), so that the
  // tests can see what happens past them
  hub = await startHub({ dataDir: dir }, { rateLimits: { deepPerWindow: 2, matchPerWindow: MATCHINGS } });
  desk = await tempDesk('Daily Planet');
  const receipt = await desk.sign(photo('chelsea.png'), { actor: desk.bootstrapActor()!, outDir: dir });
  const { record } = await hubRecordOfSignedPng(desk, receipt.recordId, receipt.output);
  const token = (await call(hub.url, 'POST', '/v1/enrolment-tokens', { token: init.adminKey, json: { label: 'photo desk' } })).body.token as string;
  const key = (await enrol(hub.url, desk, token)).body.apiKey as string;
  deskKey = key;
  expect((await call(hub.url, 'POST', '/v1/records', { token: key, json: { records: [record] } })).status).toBe(200);
  copyPath = join(dir, 'found-online.jpg');
  writeFileSync(copyPath, await sharp(readFileSync(receipt.output)).jpeg({ quality: 85 }).toBuffer());
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  desk?.close();
  await hub?.close();
});

describe('the public verification page', () => {
  it('explains a re-encoded copy of a signed photo in plain words, with no account', async () => {
    const page = await browser.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (e) => scriptErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && scriptErrors.push(m.text()));
    await page.goto(hub.url);
    await expect.poll(() => page.textContent('h1'), UI_WAIT).toBe('Is this photo genuine?');
    await page.setInputFiles('#file', copyPath);
    await expect.poll(() => page.textContent('#verdict'), UI_WAIT).toMatch(/^derived · confidence \d+%$/);
    expect(await page.textContent('#headline')).toContain('a copy of a photo Daily Planet (desk “photo desk”) signed');
    expect(await page.textContent('#signer')).toMatch(/^Signed by Daily Planet, desk photo desk, on .+\. Record rec_[0-9a-z]{26}\.$/);
    const signals = await page.$$eval('#signals li', (lis) => lis.map((li) => li.textContent ?? ''));
    expect(signals).toHaveLength(4);
    expect(signals[1]).toMatch(/^passInvisible watermark: An invisible watermark was found and it names the signed record/);
    expect(signals[2]).toMatch(/^passLooks the same: The picture looks like the signed one/);
    expect(await page.textContent('#file-info')).toContain('not kept on the server');
    await page.screenshot({ path: join(SCREENSHOTS, 'hub-public-derived.png'), fullPage: true });
    expect(scriptErrors).toEqual([]);
    await page.close();
  });

  it('says unknown for a photo nobody on the hub signed, and the upload is not stored', async () => {
    const page = await browser.newPage();
    await page.goto(hub.url);
    await page.setInputFiles('#file', photo('coffee.png'));
    await expect.poll(() => page.textContent('#verdict'), UI_WAIT).toMatch(/^unknown/);
    expect(await page.textContent('#headline')).toContain('No organisation on this hub signed this photo');
    await page.screenshot({ path: join(SCREENSHOTS, 'hub-public-unknown.png'), fullPage: true });
    await page.close();
    // Nothing of either upload reached the database: still the one record, no manifests beyond its own.
    const count = await hub.hub.db.selectFrom('records').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('searches a reframed copy of a signed photo deeper on its own, and offers the deeper search for one that looks like none', async () => {
    // a second signed photo, squeezed to 90 % of its height, cropped by 10 % and re-encoded as WebP 75, kept as PNG
    const receipt = await desk.sign(photo('gravel.png'), { actor: desk.bootstrapActor()!, outDir: dir });
    const { record } = await hubRecordOfSignedPng(desk, receipt.recordId, receipt.output);
    expect((await call(hub.url, 'POST', '/v1/records', { token: deskKey, json: { records: [record] } })).status).toBe(200);
    const reframed = join(dir, 'gravel-reframed.png');
    writeFileSync(reframed, await pngOf(await attack(await loadRaster(receipt.output), 'squeeze90+crop10+webp75', 1)));
    expect(extractWatermark(await loadRaster(reframed)).payload).toBeNull();

    // the usual search reads no mark, but the copy looks like a signed photo: the deep search runs on its own (the
    // first of the minute's two) and finds the record's mark
    const wmOf = (b: Record<string, unknown>) => (b.signals as { name: string; status: string; words: string }[]).find((x) => x.name === 'Invisible watermark')!;
    const auto = await call(hub.url, 'POST', '/public/verify', { body: readFileSync(reframed), type: 'application/octet-stream' });
    expect(wmOf(auto.body)).toMatchObject({ status: 'pass', words: expect.stringMatching(/^An invisible watermark was found and it names the signed record/) });
    expect(auto.body).toMatchObject({ verdict: 'derived', deepSearched: true, signedBy: { recordId: receipt.recordId } });

    // a photo nobody on the hub signed, marked elsewhere and reframed the same way, looks like no signed photo: the
    // usual search stops there, and the page offers the deeper one, which finds the mark
    const foreign = join(dir, 'grass-reframed.png');
    writeFileSync(foreign, await pngOf(await attack(embedWatermark(await loadRaster(photo('grass.png')), FOREIGN_PAYLOAD), 'squeeze90+crop10+webp75', 1)));
    const page = await browser.newPage();
    await page.goto(hub.url);
    await page.setInputFiles('#file', foreign);
    await page.locator('#deeper').waitFor({ state: 'visible', ...UI_WAIT });
    expect(await page.$$eval('#signals li', (lis) => lis.map((li) => li.textContent ?? ''))).toContain('absentInvisible watermark: No invisible watermark was found in the picture.');
    await page.click('#deep');
    await expect.poll(async () => (await page.$$eval('#signals li', (lis) => lis.map((li) => li.textContent ?? ''))).join('\n'), UI_WAIT).toMatch(/Invisible watermark: An invisible watermark was found, but no organisation on this hub made it\./);
    expect(await page.locator('#deeper').isVisible()).toBe(false);
    await page.close();
    // the hub's deep searches are counted for everyone together, those run on their own too: the third within the
    // minute is refused, with when to retry, while the usual search goes on, without the deep one
    const again = await call(hub.url, 'POST', '/public/verify?deep=1', { body: readFileSync(reframed), type: 'application/octet-stream' });
    expect(again.status).toBe(429);
    expect(again.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/^expected at most 2 requests a window from all callers together for the deep search, got more: retry in \d+ s$/) });
    const usual = await call(hub.url, 'POST', '/public/verify', { body: readFileSync(reframed), type: 'application/octet-stream' });
    expect(usual.status).toBe(200);
    expect(usual.body).toMatchObject({ deepSearched: false, signedBy: { recordId: receipt.recordId } });
    expect(wmOf(usual.body)).toMatchObject({ status: 'absent', words: 'No invisible watermark was found in the picture.' });
  });

  it('matches a reshared copy whose mark is too faint to read blind against the records that look like it', async () => {
    // a third signed photo, shared twice (crop 10 %, halve, JPEG 70, then WebP 75): a 512-px photo becomes 243 px
    const receipt = await desk.sign(photo('camera.png'), { actor: desk.bootstrapActor()!, outDir: dir });
    const { record } = await hubRecordOfSignedPng(desk, receipt.recordId, receipt.output);
    expect((await call(hub.url, 'POST', '/v1/records', { token: deskKey, json: { records: [record] } })).status).toBe(200);
    const { copy } = await unreadableReshare(await loadRaster(receipt.output));
    const r = await call(hub.url, 'POST', '/public/verify', { body: await pngOf(copy), type: 'application/octet-stream' });
    expect(r.status).toBe(200);
    const signals = r.body.signals as { name: string; status: string; words: string }[];
    expect(signals.find((x) => x.name === 'Invisible watermark')).toMatchObject({ status: 'pass', words: expect.stringContaining('too faint to read on its own was found by matching it') });
    expect(r.body).toMatchObject({ verdict: 'derived', signedBy: { recordId: receipt.recordId } });
    // counted as a reading at the largest distance taken (6 bits: 0.75 of the watermark's evidence), not as one at
    // distance 0, though the payload matched is the record's own (verdict.ts): at most 0.75 + 0.24 × 0.75
    expect(r.body.confidence).toBeLessThanOrEqual(0.93);
    // the unsigned original's reshare looks the same to the pHash, but carries no mark to match
    const plain = await call(hub.url, 'POST', '/public/verify', { body: await pngOf(await attack(await loadRaster(photo('camera.png')), 'reshare', 1)), type: 'application/octet-stream' });
    // (searched deeper on its own too, if the minute's deep searches are not spent by now)
    expect((plain.body.signals as { name: string; status: string; words: string }[]).find((x) => x.name === 'Invisible watermark')).toMatchObject({ status: 'absent', words: expect.stringMatching(/^No invisible watermark was found in the picture(, by the deeper search either)?\.$/) });
    // past the hub's matchings a minute (every upload that some record looks like and whose mark is not read counts,
    // the reframed copies above too), the answer goes out without one, and says so; the pHash still traces it
    const answers: { body: Record<string, unknown> }[] = [];
    for (let i = 0; i < MATCHINGS; i++) answers.push(await call(hub.url, 'POST', '/public/verify', { body: await pngOf(copy), type: 'application/octet-stream' }));
    const words = answers.map((a) => (a.body.signals as { name: string; words: string }[]).find((x) => x.name === 'Invisible watermark')!.words);
    expect(words.at(-1)).toBe('No invisible watermark was found in the picture. Signed photos look like it, but the hub is too busy to match it against their watermarks now: try again in a minute.');
    // before the budget ran out, the same upload was matched
    expect(words.filter((w) => w.includes('too faint to read on its own')).length).toBeGreaterThanOrEqual(1);
    expect(answers.at(-1)!.body).toMatchObject({ verdict: 'derived', signedBy: { recordId: receipt.recordId } });
  });

  it('refuses a file that is not an image with a sentence, not a crash', async () => {
    const r = await call(hub.url, 'POST', '/public/verify', { body: new TextEncoder().encode('%PDF-1.7 not a photo'), type: 'application/octet-stream' });
    expect(r.status).toBe(415);
    expect(r.body.code).toBe('UNSUPPORTED_FORMAT');
    const page = await fetch(hub.url);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
