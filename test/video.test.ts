// The video fingerprint end to end, with ffmpeg, on a 30 s 720p slideshow of photographs generated for the run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hamming, sha256File } from '../core/media/hash.ts';
import { phashFromThumb32 } from '../core/media/phash.ts';
import { findChainBreak } from '../core/media/video/chain.ts';
import { DEFAULT_THRESHOLDS, compareVideo } from '../core/media/video/compare.ts';
import type { FfmpegTools } from '../core/media/video/ffmpeg.ts';
import { hasFpsMode, locateFfmpeg, runTool } from '../core/media/video/ffmpeg.ts';
import { fingerprintVideo } from '../core/media/video/fingerprint.ts';
import { THUMB_BYTES, streamThumbs } from '../core/media/video/frames.ts';
import type { WorkProgress } from '../core/media/progress.ts';
import { probeMedia } from '../core/media/video/probe.ts';
import { resampleFingerprint } from '../core/media/video/resample.ts';
import type { VideoFingerprint } from '../core/media/video/types.ts';
import { ffmpegChildren, makeOtherFootage, makeSlideshow, reencode, splice } from './fixtures/video.ts';

let dir: string;
let tools: FfmpegTools;
let main: string;
let signed: VideoFingerprint;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custody-video-'));
  tools = await locateFfmpeg();
  main = join(dir, 'main.mp4');
  await makeSlideshow(main, { width: 1280, height: 720, fps: 25, seconds: 30, audio: true, preset: 'superfast' });
  signed = await fingerprintVideo(main, { tools });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function collect(path: string, opts: { exactDecode?: boolean } = {}): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const t of streamThumbs(tools, path, { sampleRate: 1, streamIndex: 0, ...opts })) out.push(t);
  return out;
}

describe('fingerprintVideo', () => {
  it('describes the clip and chains 6 segments of 5 frames', async () => {
    expect(signed).toMatchObject({
      algorithm: 'custody-video-v1', durationSec: 30, fps: 25, codec: 'h264', width: 1280, height: 720, sampleRate: 1,
    });
    expect(signed.sha256).toBe(await sha256File(main));
    expect(signed.segments.map((s) => [s.index, s.start, s.end, s.frameHashes.length])).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => [i, i * 5, i * 5 + 5, 5]),
    );
    expect(signed.chainHash).toBe(signed.segments[5]!.hash);
    expect(findChainBreak(signed)).toBeNull();
    // Content that changes: no two sampled frames share a pHash.
    expect(new Set(signed.segments.flatMap((s) => s.frameHashes)).size).toBe(30);
  });

  it('gives the identical fingerprint twice, in worker threads as inline', async () => {
    const again = await fingerprintVideo(main, { tools, hashing: 'inline' });
    expect(again).toEqual(signed);
    const pooled = await fingerprintVideo(main, { tools, hashing: 'workers', workers: 2 });
    expect(pooled).toEqual(signed);
  });

  it('oversampled 4×, still carries the 1-fps fingerprint exactly', async () => {
    const dense = await fingerprintVideo(main, { tools, oversample: 4 });
    expect(dense.sampleRate).toBe(4);
    expect(dense.segments[0]!.frameHashes.length).toBe(20);
    expect(resampleFingerprint(dense, 1)).toEqual(signed);
    expect(compareVideo(signed, dense).chainIntact).toBe(true);
  });

  it('reports progress forward only, from 0 % to 100 %, with the seconds decoded of the duration', async () => {
    const calls: WorkProgress[] = [];
    await fingerprintVideo(main, { tools, onProgress: (p) => calls.push(p) });
    const percents = calls.map((p) => p.percent);
    expect(percents[0]).toBe(0);
    expect(percents.at(-1)).toBe(100);
    expect(percents.filter((p) => p === 100)).toHaveLength(1);
    // one report per sampled second at least (30 frames), plus ffmpeg's own and the bytes hashed
    expect(percents.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(20);
    expect(percents.every((p, i) => i === 0 || p >= percents[i - 1]!)).toBe(true);
    const started = calls.filter((p) => p.phase !== 'starting');
    expect(started.every((p) => p.totalSec === 30 && p.doneSec >= 0 && p.doneSec <= 30)).toBe(true);
    expect(calls.at(-1)).toMatchObject({ phase: 'fingerprinting', doneSec: 30, totalSec: 30 });
  });

  it("hears ffmpeg's -progress time on its own pipe, up to the clip's end", async () => {
    const times: number[] = [];
    const thumbs: Uint8Array[] = [];
    for await (const t of streamThumbs(tools, main, { sampleRate: 1, streamIndex: 0, onTime: (s) => times.push(s) })) thumbs.push(t);
    expect(thumbs).toHaveLength(30);
    expect(Buffer.concat(thumbs).equals(Buffer.concat(await collect(main)))).toBe(true);
    expect(times.length).toBeGreaterThan(0);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    // out_time of the last 1-fps frame: 29 s from the first, give or take a frame
    expect(times.at(-1)).toBeGreaterThanOrEqual(28.9);
    expect(times.at(-1)).toBeLessThanOrEqual(30);
  });

  it('samples the picture on screen at j seconds: exact-decode thumbnails equal frames 25·j', async () => {
    const exact = await collect(main, { exactDecode: true });
    // An independent extraction: select decoded frame numbers 0, 25, 50, … and scale them the same way.
    const r = await runTool(tools.ffmpeg, [
      '-v', 'error', '-an', '-i', main, '-vf',
      "select='not(mod(n\\,25))',scale=32:32:flags=lanczos+accurate_rnd+bitexact,format=gray",
      ...(hasFpsMode(tools) ? ['-fps_mode', 'passthrough'] : ['-vsync', '0']), '-f', 'rawvideo', 'pipe:1',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(30 * THUMB_BYTES);
    exact.forEach((t, j) => expect(Buffer.from(t).equals(r.stdout.subarray(j * THUMB_BYTES, (j + 1) * THUMB_BYTES))).toBe(true));
    // The default decode skips non-reference pictures, so a sample can be the reference picture one or two frames
    // before j s. On this fast pan (frames 1 s apart differ by ~26 bits) that costs under a bit on average, and
    // at most ~10 bits on a frame: inside similarMax, which is why the thresholds leave room for it.
    const fast = await collect(main);
    const d = fast.map((t, j) => hamming(phashFromThumb32(t), phashFromThumb32(exact[j]!)));
    expect(d.length).toBe(30);
    expect(d.reduce((a, b) => a + b, 0) / d.length).toBeLessThanOrEqual(1.5);
    expect(Math.max(...d)).toBeLessThan(DEFAULT_THRESHOLDS.similarMax);
  });

  it('probes alike with ffprobe and with the `ffmpeg -i` listing', async () => {
    const a = await probeMedia(tools, main);
    const b = await probeMedia(tools, main, { useFfprobe: false });
    expect(a.video).toMatchObject({ index: 0, codec: 'h264', width: 1280, height: 720, fps: 25 });
    expect(b.video).toMatchObject({ index: 0, codec: 'h264', width: 1280, height: 720, fps: 25 });
    expect(a.hasAudio && b.hasAudio).toBe(true);
    expect(b.durationSec).toBeCloseTo(a.durationSec!, 1);
  });

  it('stops ffmpeg and rejects when aborted', async () => {
    const ac = new AbortController();
    const p = fingerprintVideo(main, { tools, signal: ac.signal, onProgress: (q) => q.percent > 0 && ac.abort(new Error('user cancelled')) });
    await expect(p).rejects.toThrow('user cancelled');
    expect(ffmpegChildren()).toEqual([]);
  });
});

describe('compareVideo on real copies', () => {
  // Candidates are fingerprinted as verification should: oversampled 4×, so that each signed instant is compared
  // with the nearest of four candidate pictures (see compareVideo).
  it('calls a 720p CRF 30 re-encode traced, ≥ 90 % of segments similar or matching, none changed', async () => {
    const copy = join(dir, 'crf30.mp4');
    await reencode(main, copy, { crf: 30, preset: 'veryfast' });
    const c = compareVideo(signed, await fingerprintVideo(copy, { tools, oversample: 4 }));
    expect(c.chainIntact).toBe(false);
    const st = c.segments.map((s) => s.status);
    expect(st).not.toContain('changed');
    expect(st.filter((s) => s === 'similar' || s === 'match').length / st.length).toBeGreaterThanOrEqual(0.9);
    expect(st).toContain('similar'); // a real re-encode, not a byte copy
    expect(c.tracedFraction).toBeGreaterThanOrEqual(0.9);
  }, 60_000);

  it('finds 10 s of other footage spliced over 10–20 s: exactly segments 2 and 3 changed', async () => {
    const other = join(dir, 'other.mp4');
    const spliced = join(dir, 'spliced.mp4');
    await makeOtherFootage(other, { width: 1280, height: 720, fps: 25, seconds: 10, preset: 'ultrafast' });
    await splice(main, other, spliced, 10, 20, false, 'ultrafast');
    const cand = await fingerprintVideo(spliced, { tools, oversample: 4 });
    expect(cand.durationSec).toBe(30);
    const c = compareVideo(signed, cand);
    expect(c.chainIntact).toBe(false);
    expect(c.segments.map((s) => [s.index, s.status === 'changed'])).toEqual([
      [0, false], [1, false], [2, true], [3, true], [4, false], [5, false],
    ]);
    expect(c.segments.filter((s) => s.status !== 'changed').every((s) => s.status === 'match' || s.status === 'similar')).toBe(true);
    expect(c.tracedFraction).toBeCloseTo(20 / 30, 6);
  }, 60_000);
});
