// The Soft Binding Resolution API's byContent on copies whose mark cannot be read blind, on a real hub (SQLite): a
// reshare of a web-sized signed photo is matched against the records that look like it and answered as a matched
// watermark (no Hamming distance to give), a reframed copy is searched deeper on its own, and both within the hub's
// budgets, as the public page does. The unsigned original's reshare is traced by its pHash alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { WATERMARK_ALGORITHM, extractWatermark } from '../core/media/watermark/codec.ts';
import { MATCH_PARAMS } from '../core/media/watermark/match.ts';
import { PHASH_ALGORITHM } from '../server/http/routes-softbinding.ts';
import { initHub, startHub, type RunningHub } from '../server/serve.ts';
import { attack, loadRaster, pngOf } from '../bench/watermark-attacks.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';
import { call, enrol, hubRecordOfSignedPng } from './helpers/hub-desk.ts';
import { unreadableReshare } from './helpers/reshare.ts';

interface SoftMatch { manifestId: string; similarityScore: number; distance: number | null; alg: string; recordId: string; matched?: true; score?: number; threshold?: number }

let hub: RunningHub;
let desk: Desk;
let dir: string;
let key: string;
let cameraRecord: string;
let reshare: Uint8Array;
/** matchings a minute on this hub (RateLimits.matchPerWindow): the tests below count them */
const MATCHINGS = 4;

async function signAndPush(name: string): Promise<{ recordId: string; output: string }> {
  const receipt = await desk.sign(photo(name), { actor: desk.bootstrapActor()!, outDir: dir });
  const { record } = await hubRecordOfSignedPng(desk, receipt.recordId, receipt.output);
  expect((await call(hub.url, 'POST', '/v1/records', { token: key, json: { records: [record] } })).status).toBe(200);
  return receipt;
}

const byContent = async (body: Uint8Array, query = '') => {
  const r = await call(hub.url, 'POST', `/matches/byContent${query}`, { token: key, body, type: 'image/png' });
  expect(r.status).toBe(200);
  return r.body as { matches: SoftMatch[]; matchingSkipped?: true };
};

beforeAll(async () => {
  dir = tempDir('custody-hub-softbinding-');
  const init = await initHub({ dataDir: dir }, { org: 'Daily Planet' });
  hub = await startHub({ dataDir: dir }, { rateLimits: { matchPerWindow: MATCHINGS, deepPerWindow: 4 } });
  desk = await tempDesk('Daily Planet');
  const token = (await call(hub.url, 'POST', '/v1/enrolment-tokens', { token: init.adminKey, json: { label: 'photo desk' } })).body.token as string;
  key = (await enrol(hub.url, desk, token)).body.apiKey as string;
  const camera = await signAndPush('camera.png');
  cameraRecord = camera.recordId;
  // shared twice (crop 10 %, halve, JPEG 70, then WebP 75): a 512-px photo becomes 243 px, its mark unreadable blind
  reshare = await pngOf((await unreadableReshare(await loadRaster(camera.output))).copy);
}, 120_000);

afterAll(async () => {
  desk?.close();
  await hub?.close();
});

describe('byContent on copies whose mark is not read blind', () => {
  it('answers a reshare of a signed photo with its record\'s matched watermark, first, and no distance it did not measure', { timeout: 60_000 }, async () => {
    const { matches, matchingSkipped } = await byContent(reshare);
    expect(matchingSkipped).toBeUndefined();
    expect(matches[0]).toMatchObject({ recordId: cameraRecord, alg: WATERMARK_ALGORITHM, matched: true, distance: null, similarityScore: 95, threshold: MATCH_PARAMS.threshold });
    expect(matches[0]!.score!).toBeGreaterThanOrEqual(MATCH_PARAMS.threshold);
    // one answer a record: its pHash match is not listed again beside the watermark's
    expect(matches.filter((m) => m.recordId === cameraRecord)).toHaveLength(1);
  });

  it('traces the unsigned original\'s reshare by its pHash alone: it looks the same, but carries no mark to match', { timeout: 60_000 }, async () => {
    const plain = await pngOf(await attack(await loadRaster(photo('camera.png')), 'reshare', 1));
    const { matches } = await byContent(plain);
    expect(matches).toHaveLength(1);
    expect(matches[0]).toMatchObject({ recordId: cameraRecord, alg: PHASH_ALGORITHM });
    expect(matches[0]!.matched).toBeUndefined();
    expect(matches[0]!.similarityScore).toBe(Math.round(100 * (1 - matches[0]!.distance! / 64)));
  });

  it('asked for the pHash alone, matches no watermark and spends none of the hub\'s matchings', { timeout: 60_000 }, async () => {
    const { matches } = await byContent(reshare, `?alg=${encodeURIComponent(PHASH_ALGORITHM)}`);
    expect(matches.map((m) => [m.recordId, m.alg])).toEqual([[cameraRecord, PHASH_ALGORITHM]]);
  });

  it('searches a reframed copy of a signed photo deeper on its own and finds its record\'s watermark', { timeout: 120_000 }, async () => {
    const gravel = await signAndPush('gravel.png');
    const reframed = await attack(await loadRaster(gravel.output), 'squeeze90+crop10+webp75', 1);
    expect(extractWatermark(reframed).payload).toBeNull();
    const { matches } = await byContent(await pngOf(reframed));
    expect(matches[0]).toMatchObject({ recordId: gravel.recordId, alg: WATERMARK_ALGORITHM });
  });

  it('past the hub\'s matchings a minute, answers by the pHash and says the matching was skipped', { timeout: 60_000 }, async () => {
    // three matchings so far (the reshare, the plain reshare, the reframed copy; the pHash-only query spent none):
    // the fourth is matched, the fifth goes out without one
    const fourth = await byContent(reshare);
    expect(fourth.matches[0]).toMatchObject({ recordId: cameraRecord, matched: true });
    const fifth = await byContent(reshare);
    expect(fifth.matchingSkipped).toBe(true);
    expect(fifth.matches[0]).toMatchObject({ recordId: cameraRecord, alg: PHASH_ALGORITHM });
  });
});
