// A video's duration is bounded before a frame is decoded (core/media/video/duration-limit.ts): a 3 KB file stating
// 55 hours, one stating 11 hours in 3 KB, and one whose header states 10 s while its timestamps run to 55 hours are
// refused in about a second, by signing, verification, a watched folder and the CLI, with no record written; a
// normal clip still signs. Before the limit the first signed in seconds with 40,001 records, and the last took 40 s.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer } from '../cli/web.ts';
import type { Desk } from '../core/desk.ts';
import { CustodyError, type ErrorCode } from '../core/errors.ts';
import { durationRefusal, formatDuration, maxFramesFor } from '../core/media/video/duration-limit.ts';
import { fingerprintVideo } from '../core/media/video/fingerprint.ts';
import { sql } from '../core/store/db.ts';
import { setSetting } from '../core/store/settings.ts';
import { ffmpeg, ffmpegChildren } from './fixtures/video.ts';
import { freshDesk, runCli, tempDir } from './helpers/cli.ts';
import { webClient } from './helpers/web-client.ts';
import { addUsers, testDesk } from './helpers/workflow-desk.ts';
import { addFolder, engineFor, newDesk } from './watch-helpers.ts';

let dir: string;
const f = (name: string): string => join(dir, name);

/** A few 32×32 MJPEG pictures, each stated to last `each` (an ffmpeg rate like 1/20000): seconds of footage from bytes. */
const stills = (each: string, frames: number, out: string, extra: string[] = []): Promise<void> =>
  ffmpeg(['-f', 'lavfi', '-i', `color=c=red:s=32x32:r=${each}`, '-frames:v', String(frames), '-c:v', 'mjpeg', ...extra, out]);

/**
 * Rewrites the durations an MP4 states (mvhd, tkhd, mdhd; version 0 or 1 boxes) to `sec`, leaving the sample
 * timestamps alone: the header then states `sec` while the frames run on.
 */
function restateDuration(path: string, sec: number): void {
  const b = readFileSync(path);
  const at = (box: string): number => {
    const i = b.indexOf(box, 0, 'latin1');
    if (i < 0) throw new Error(`no ${box} box in ${path}`);
    return i + 4; // the version byte
  };
  const mvhd = at('mvhd');
  const movieScale = b.readUInt32BE(mvhd + (b[mvhd] === 1 ? 20 : 12));
  const put = (pos: number, version: number, value: number): void => {
    if (version === 1) b.writeBigUInt64BE(BigInt(value), pos);
    else b.writeUInt32BE(value, pos);
  };
  put(mvhd + (b[mvhd] === 1 ? 24 : 16), b[mvhd]!, sec * movieScale);
  const tkhd = at('tkhd');
  put(tkhd + (b[tkhd] === 1 ? 28 : 20), b[tkhd]!, sec * movieScale);
  const mdhd = at('mdhd');
  const trackScale = b.readUInt32BE(mdhd + (b[mdhd] === 1 ? 20 : 12));
  put(mdhd + (b[mdhd] === 1 ? 24 : 16), b[mdhd]!, sec * trackScale);
  writeFileSync(path, b);
}

beforeAll(async () => {
  dir = tempDir('custody-video-limits-');
  await Promise.all([
    stills('1/20000', 10, f('long.mp4')), // states 200,000 s (55 h 33 min) in ~3 KB
    stills('1/3600', 11, f('thin.mp4')), // states 11 h, under the limit, in ~3 KB
    stills('1/20000', 10, f('runs-on.mp4'), ['-use_editlist', '0']),
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '10', '-c:v', 'libx264', '-preset', 'ultrafast', f('clip.mp4')]),
    ffmpeg(['-f', 'lavfi', '-i', 'mandelbrot=size=320x240:rate=25', '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', f('other.mp4')]),
  ]);
  restateDuration(f('runs-on.mp4'), 10);
}, 60_000);

async function refusal(p: Promise<unknown>): Promise<CustodyError> {
  const e = await p.then((r) => new Error(`expected a refusal, got ${JSON.stringify(r).slice(0, 200)}`), (x: unknown) => x);
  if (!(e instanceof CustodyError)) throw e;
  return e;
}

async function timed<T>(p: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = Date.now();
  const value = await p();
  return { value, seconds: (Date.now() - t0) / 1000 };
}

const ABSURD: [string, string, ErrorCode, RegExp][] = [
  ['a 3 KB MP4 stating 55 h', 'long.mp4', 'FILE_TOO_LARGE', /^expected a video of at most 12 h, got one that states 55 h 33 min in /],
  ['a 3 KB MP4 stating 11 h', 'thin.mp4', 'CORRUPT_MEDIA', /^expected at least 8 bytes for each second a video runs, got 3\.\d KB that states 11 h in .*; its timing is damaged or forged$/],
  ['a 3 KB MP4 stating 10 s whose frames run to 55 h', 'runs-on.mp4', 'CORRUPT_MEDIA', /^expected at least 8 bytes for each second a video runs, got 3\.\d KB that runs to 6 min \d+ s in .*; its timing is damaged or forged$/],
];

describe('durationRefusal', () => {
  it.each<[string, number, number, number, ErrorCode | null]>([
    ['within both bounds', 3600, 10_000_000, 43_200, null],
    ['at the limit exactly', 43_200, 10_000_000, 43_200, null],
    ['past the limit', 43_201, 10_000_000, 43_200, 'FILE_TOO_LARGE'],
    ['past the limit, whatever the size', 200_000, 3_000, 43_200, 'FILE_TOO_LARGE'],
    ['at 8 bytes a second', 1000, 8000, 43_200, null],
    ['under 8 bytes a second', 1000, 7999, 43_200, 'CORRUPT_MEDIA'],
  ])('%s', (_, sec, bytes, max, code) => {
    expect(durationRefusal('x.mp4', sec, bytes, max, 'states')?.code ?? null).toBe(code);
  });

  it('caps the frames at the same bound, with a second and a sample of slack', () => {
    expect(maxFramesFor(10_000_000, 43_200, 0.1)).toBe(4322);
    expect(maxFramesFor(3000, 43_200, 1)).toBe(377);
    expect(maxFramesFor(Infinity, 60, 4)).toBe(245);
  });

  it('says durations as people read them', () => {
    expect([2.5, 59.96, 60, 250, 3600, 200_000].map(formatDuration)).toEqual(['2.5 s', '60 s', '1 min', '4 min 10 s', '1 h', '55 h 33 min']);
  });
});

describe('fingerprintVideo bounds the work by the duration', () => {
  it.each(ABSURD)('refuses %s within seconds, at the signing and the verification rate, and stops ffmpeg', async (_, file, code, message) => {
    for (const oversample of [1, 4]) {
      const { value: e, seconds } = await timed(() => refusal(fingerprintVideo(f(file), { oversample })));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
      expect(seconds).toBeLessThan(10);
    }
    // Killed on the refusal; its exit is reaped a moment later.
    await expect.poll(ffmpegChildren, { timeout: 2000 }).toEqual([]);
  }, 30_000);

  it('takes the limit it is given', async () => {
    const e = await refusal(fingerprintVideo(f('clip.mp4'), { maxDurationSec: 5 }));
    expect(e).toMatchObject({ code: 'FILE_TOO_LARGE', details: { durationSec: 10, limitSec: 5 } });
    expect(e.message).toMatch(/^expected a video of at most 5 s, got one that states 10 s in /);
    expect((await fingerprintVideo(f('clip.mp4'), { maxDurationSec: 10 })).segments).toHaveLength(2);
  });
});

describe('the desk', () => {
  let desk: Desk;
  const records = (): number => desk.store.get<{ n: number }>(sql`SELECT count(*) AS n FROM records`)!.n;
  beforeAll(async () => {
    desk = await newDesk();
  });
  afterAll(() => desk.close());

  it.each(ABSURD)('refuses to sign or verify %s, and writes no record', async (_, file, code, message) => {
    const before = records();
    const signed = await timed(() => refusal(desk.sign(f(file), { actor: desk.bootstrapActor()!, outDir: tempDir() })));
    expect(signed.value.code).toBe(code);
    expect(signed.value.message).toMatch(message);
    expect(signed.seconds).toBeLessThan(10);
    const verified = await timed(() => refusal(desk.verify(f(file), { hub: false })));
    expect(verified.value.code).toBe(code);
    expect(verified.seconds).toBeLessThan(10);
    expect(records()).toBe(before);
  }, 40_000);

  it('still signs and verifies a normal clip', async () => {
    const r = await desk.sign(f('clip.mp4'), { actor: desk.bootstrapActor()!, outDir: tempDir() });
    expect(r).toMatchObject({ video: { durationSec: 10, segments: 2 } });
    expect((await desk.verify(f('clip.mp4'), { hub: false })).verdict).toBe('original');
  });

  it("signs and verifies against the desk's own limit (limits.max_video_seconds)", async () => {
    expect(desk.limits.maxVideoSeconds).toBe(12 * 3600);
    setSetting(desk.store, 'limits.max_video_seconds', '5');
    try {
      expect(desk.limits.maxVideoSeconds).toBe(5);
      // Footage the desk has not signed: the exact signed bytes are recognised without decoding a frame.
      const e = await refusal(desk.verify(f('other.mp4'), { hub: false }));
      expect(e.code).toBe('FILE_TOO_LARGE');
      expect(e.message).toMatch(/^expected a video of at most 5 s, got one that states 6 s in /);
      const s = await refusal(desk.sign(f('other.mp4'), { actor: desk.bootstrapActor()!, outDir: tempDir() }));
      expect(s.code).toBe('FILE_TOO_LARGE');
      expect(s.message).toMatch(/^expected a video of at most 5 s, got one that states 6 s in /);
    } finally {
      setSetting(desk.store, 'limits.max_video_seconds', String(12 * 3600));
    }
  });
});

describe('a watched folder', () => {
  let desk: Desk;
  beforeAll(async () => {
    desk = await newDesk();
  });
  afterAll(() => desk.close());

  it('rejects the absurd videos at once, with a note, and signs the good one beside them', async () => {
    const { folder, inDir, outDir } = addFolder(desk);
    const s = engineFor(desk, folder, inDir, outDir);
    const t0 = Date.now();
    await s.engine.start([folder.id]);
    try {
      for (const name of ['long.mp4', 'thin.mp4', 'runs-on.mp4', 'clip.mp4']) writeFileSync(join(inDir, name), readFileSync(f(name)));
      const outcomes = await s.waitFor(4, 60_000);
      for (const [, file, code] of ABSURD) {
        const o = outcomes.find((x) => x.path === file);
        expect(o, file).toMatchObject({ status: 'rejected', recordId: null, error: { code } });
        expect(readFileSync(join(outDir, 'rejected', file)).equals(readFileSync(f(file)))).toBe(true);
        expect(readFileSync(join(outDir, 'rejected', `${file}.error.txt`), 'utf8')).toMatch(new RegExp(`^code: ${code}\\nerror: expected `));
      }
      expect(outcomes.find((x) => x.path === 'clip.mp4')?.status).toBe('signed');
      expect(s.retries).toEqual([]);
      expect((Date.now() - t0) / 1000).toBeLessThan(30);
      const rows = desk.store.get<{ n: number }>(sql`SELECT count(*) AS n FROM records`)!.n;
      expect(rows).toBe(3); // the clip and its two segments
    } finally {
      await s.engine.stop();
    }
  }, 90_000);
});

describe('the CLI', () => {
  it('says why it refuses, in one line', async () => {
    const env = await freshDesk();
    const r = await runCli(['sign', f('long.mp4')], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error FILE_TOO_LARGE: expected a video of at most 12 h, got one that states 55 h 33 min in .*long\.mp4$/m);
    const v = await runCli(['verify', f('thin.mp4')], env);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/^error CORRUPT_MEDIA: expected at least 8 bytes for each second a video runs, got 3\.\d KB that states 11 h in .*thin\.mp4; its timing is damaged or forged$/m);
  }, 60_000);
});

describe('web mode', () => {
  it('answers a visitor without a login who asks to verify one with 413 and the sentence, within seconds', async () => {
    const t = await testDesk();
    await addUsers(t.desk, t.admin, { erin: ['editor'] }); // a desk with users: the visitor is anonymous
    const rendererDir = tempDir();
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Custody</title>');
    const web = await startWebServer(t.desk, { rendererDir });
    try {
      const v = webClient(web);
      const up = await v.upload('long.mp4', new Uint8Array(readFileSync(f('long.mp4'))));
      expect(up.status).toBe(200);
      const { value: r, seconds } = await timed(() => v.call('verify', { path: up.body.result.path }));
      expect(r).toMatchObject({ status: 413, body: { ok: false, error: { code: 'FILE_TOO_LARGE' } } });
      expect(r.body.error!.message).toMatch(/^expected a video of at most 12 h, got one that states 55 h 33 min in /);
      expect(seconds).toBeLessThan(10);
    } finally {
      await web.close();
      t.desk.close();
    }
  }, 30_000);
});
