// Slower video checks (not in the default run): npx vitest run test/video.slow.test.ts
// A 1080p source and the copies a verifier meets in the wild; the verification suite's whole matrix on the small
// sources (test/fixtures/video-suite.ts, the same as `npm run bench:video-accuracy`); the sampling schedule on long
// videos.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareVideo } from '../core/media/video/compare.ts';
import type { FfmpegTools } from '../core/media/video/ffmpeg.ts';
import { locateFfmpeg } from '../core/media/video/ffmpeg.ts';
import { fingerprintVideo } from '../core/media/video/fingerprint.ts';
import { resampleFingerprint } from '../core/media/video/resample.ts';
import type { VideoComparison, VideoFingerprint } from '../core/media/video/types.ts';
import type { Desk } from '../core/desk.ts';
import { SOURCES, canMake, judge, makeOther, transformsFor } from './fixtures/video-suite.ts';
import { excerpt, ffmpeg, makeOtherFootage, makeSlideshow, reencode, splice } from './fixtures/video.ts';
import { tempDesk } from './helpers/desk.ts';

let dir: string;
let tools: FfmpegTools;
let src: string;
let other: string;
let signed: VideoFingerprint;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custody-video-slow-'));
  tools = await locateFfmpeg();
  src = join(dir, 'src-1080p.mp4');
  other = join(dir, 'other.mp4');
  await makeSlideshow(src, { width: 1920, height: 1080, fps: 30, seconds: 40, grain: 4, crf: 20, audio: true });
  await makeOtherFootage(other, { width: 1920, height: 1080, fps: 30, seconds: 12 });
  signed = await fingerprintVideo(src, { tools });
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const summary = (c: VideoComparison): string => c.segments.map((s) => `${s.index}:${s.status}`).join(' ');

/** Makes a copy and compares it as verification should: the candidate oversampled 4×. */
async function candidate(name: string, make: (out: string) => Promise<void>): Promise<VideoComparison> {
  const out = join(dir, name);
  await make(out);
  return compareVideo(signed, await fingerprintVideo(out, { tools, oversample: 4 }));
}

describe('copies of a 1080p original', () => {
  it.each<[string, (out: string) => Promise<void>]>([
    ['720p CRF 30 x264', (o) => reencode(src, o, { crf: 30, height: 720 })],
    ['360p CRF 32 x264', (o) => reencode(src, o, { crf: 32, height: 360 })],
    ['480p VP9', (o) => reencode(src, o, { crf: 40, height: 480, codec: 'libvpx-vp9' })],
    ['720p HEVC CRF 30', (o) => reencode(src, o, { crf: 30, height: 720, codec: 'libx265' })],
    ['720p at 25 fps', (o) => reencode(src, o, { crf: 28, height: 720, fps: 25 })],
  ])('calls a %s re-encode traced, nothing changed', async (label, make) => {
    const c = await candidate(`${label.replace(/\W+/g, '-')}.${label.includes('VP9') ? 'webm' : 'mp4'}`, make);
    expect(summary(c)).not.toMatch(/changed|missing|extra/);
    expect(c.tracedFraction).toBe(1);
  }, 300_000);

  it('needs the oversampled candidate: at 1× a cut on a sampled instant can read as a change', async () => {
    // The slideshow changes photograph every 3 s, so some sampled instants are the first picture after a cut. When
    // that picture is a non-reference B-frame in one encode and not in the other, the 1× samples differ by a whole
    // scene; oversampled, the alignment takes the nearest of four pictures instead. (Seen with the 25 fps copy.)
    const out = join(dir, '720p-at-25-fps.mp4');
    const once = compareVideo(signed, await fingerprintVideo(out, { tools }));
    const dense = compareVideo(signed, await fingerprintVideo(out, { tools, oversample: 4 }));
    expect(dense.tracedFraction).toBe(1);
    expect(once.tracedFraction).toBeGreaterThanOrEqual(0.75);
  }, 300_000);

  it('finds a splice that straddles segments (12–22 s): segments 2, 3 and 4 changed, the rest traced', async () => {
    const c = await candidate('splice-12-22.mp4', (o) => splice(src, other, o, 12, 22));
    expect(c.segments.filter((s) => s.status === 'changed').map((s) => s.index)).toEqual([2, 3, 4]);
    expect(c.segments.filter((s) => s.status !== 'changed').every((s) => s.status === 'match' || s.status === 'similar')).toBe(true);
  }, 300_000);

  it('finds 10 s inserted at 15 s as extra footage, and the signed footage after it traced', async () => {
    const c = await candidate('insert.mp4', (o) => splice(src, other, o, 15, 25, true));
    const extra = c.segments.filter((s) => s.status === 'extra');
    expect(extra.map((s) => [s.start, s.end])).toEqual([[15, 20], [20, 25]]);
    expect(c.tracedFraction).toBe(1);
    expect(c.segments.find((s) => s.status !== 'extra' && s.index === 3)).toMatchObject({ candidateStart: 25 });
  }, 300_000);

  it('traces an excerpt cut at 7.5 s, between two signed instants', async () => {
    const c = await candidate('excerpt.mp4', (o) => excerpt(src, o, 7.5, 31));
    const st = c.segments.map((s) => (s.status === 'match' ? 'similar' : s.status));
    // 7.5–31 s: segment 1 has two or three of its instants inside (8 and 9 s, and 7 s if it pairs with 7.5 s).
    expect(st[0]).toBe('missing');
    expect(['missing', 'similar']).toContain(st[1]);
    expect(st.slice(2)).toEqual(['similar', 'similar', 'similar', 'similar', 'missing', 'missing']);
    expect(c.segments.find((s) => s.index === 3)).toMatchObject({ candidateStart: 7.5 });
  }, 300_000);

  it('finds a cut (10–20 s removed) as missing segments', async () => {
    const c = await candidate('cut.mp4', async (o) => {
      await ffmpeg([
        '-i', src, '-filter_complex',
        '[0:v]trim=0:10,setpts=PTS-STARTPTS[a];[0:v]trim=start=20,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0[out]',
        '-map', '[out]', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', o,
      ]);
    });
    expect(c.segments.map((s) => s.status).map((s) => (s === 'match' ? 'similar' : s))).toEqual([
      'similar', 'similar', 'missing', 'missing', 'similar', 'similar', 'similar', 'similar',
    ]);
  }, 300_000);
});


describe.each(SOURCES.filter((s) => s.width < 1280))('the verification suite on $name', (source) => {
  let desk: Desk;
  let srcPath: string;
  let other: string;
  let available: string;
  beforeAll(async () => {
    desk = await tempDesk(`Suite ${source.name}`);
    srcPath = join(dir, `suite-${source.name}.mp4`);
    other = join(dir, `suite-other-${source.name}.mp4`);
    await source.make(srcPath);
    await makeOther(other, source);
    await desk.sign(srcPath, { actor: desk.bootstrapActor()!, outDir: join(dir, `suite-out-${source.name}`) });
    available = execFileSync(tools.ffmpeg, ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  }, 300_000);
  afterAll(() => desk?.close());

  // Benign copies: never tampered nor extra, ≥ 95 % traced; trims derived; edits tampered and located within 5 s.
  it.each(transformsFor(source))('$name', async (t) => {
    if (!canMake(t, available)) return; // this ffmpeg has no such encoder
    const out = join(dir, `suite-${source.name}-${t.name.replace(/\W+/g, '-')}.${t.ext}`);
    await t.make(srcPath, out, { src: source, other });
    const r = await desk.verify(out);
    const j = judge(t, r);
    expect({ verdict: r.verdict, ranges: r.changedRanges, ok: j.ok, note: j.note }).toMatchObject({ ok: true });
  }, 300_000);
});

describe('the sampling schedule on long videos', () => {
  it('samples 0.5 fps over 5 minutes, and 0.1 fps beyond 2 hours with every other segment empty', async () => {
    const six = join(dir, 'six-minutes.mp4');
    const long = join(dir, 'two-hours.mp4');
    // Small frames at 2 fps keep these cheap; the picture changes every frame (testsrc2 moves).
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=2', '-t', '361', '-c:v', 'libx264', '-preset', 'ultrafast', six]);
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=2', '-t', '7230', '-c:v', 'libx264', '-preset', 'ultrafast', long]);
    const a = await fingerprintVideo(six, { tools });
    expect(a.sampleRate).toBe(0.5);
    expect(a.segments.length).toBe(73);
    expect(a.segments.slice(0, 4).map((s) => s.frameHashes.length)).toEqual([3, 2, 3, 2]);
    let progress = 0;
    const b = await fingerprintVideo(long, { tools, hashing: 'workers', onProgress: (p) => (progress = p.doneSec) });
    expect(b.sampleRate).toBe(0.1);
    expect(b.segments.length).toBe(1446);
    expect(b.segments.slice(0, 4).map((s) => s.frameHashes.length)).toEqual([1, 0, 1, 0]);
    expect(progress).toBe(7230);
    expect(await fingerprintVideo(long, { tools, hashing: 'inline' })).toEqual(b);
    const dense = await fingerprintVideo(long, { tools, oversample: 4 });
    expect(resampleFingerprint(dense, 0.1)).toEqual(b);
    const c = compareVideo(b, dense);
    expect(c.chainIntact).toBe(true);
    expect(c.segments.every((s) => s.status === 'match')).toBe(true);
  }, 600_000);
});
