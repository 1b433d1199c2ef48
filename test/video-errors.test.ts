// Bad input at every public entry point of the video core: a stable code, a sentence that says what was expected
// and what arrived, no result, and no ffmpeg left running.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../core/errors.ts';
import { CustodyError } from '../core/errors.ts';
import type { FfmpegTools } from '../core/media/video/ffmpeg.ts';
import { locateFfmpeg } from '../core/media/video/ffmpeg.ts';
import { fingerprintVideo } from '../core/media/video/fingerprint.ts';
import { startPhashPool } from '../core/media/video/phash-pool.ts';
import { parseFfmpegListing, probeMedia } from '../core/media/video/probe.ts';
import { ffmpeg, ffmpegChildren } from './fixtures/video.ts';
import { photo } from './fixtures/photos.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const nativeStrip = major > 22 || (major === 22 && minor >= 18);

let dir: string;
let tools: FfmpegTools;
const f = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custody-video-err-'));
  tools = await locateFfmpeg();
  const clip = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '10'];
  await Promise.all([
    ffmpeg([...clip, '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', f('moov-at-end.mp4')]),
    ffmpeg([...clip, '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-movflags', '+faststart', f('faststart.mp4')]),
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '3', '-c:a', 'aac', f('audio.m4a')]),
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2', '-t', '0', f('zero-length.mp4')]),
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'h264', f('raw.h264')]),
    // Matroska states no per-stream duration; here the audio runs 6 s past the picture.
    ffmpeg([
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=10', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=16',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'libopus', f('long-audio.mkv'),
    ]),
  ]);
  await ffmpeg(['-i', f('audio.m4a'), '-i', photo('astronaut.png'), '-map', '0', '-map', '1', '-c:a', 'copy', '-c:v', 'mjpeg', '-disposition:v', 'attached_pic', f('cover-art.m4a')]);
  const cut = (src: string, dst: string, share: number): void => {
    const b = readFileSync(f(src));
    writeFileSync(f(dst), b.subarray(0, Math.floor(b.length * share)));
  };
  cut('moov-at-end.mp4', 'truncated.mp4', 0.5);
  cut('faststart.mp4', 'truncated-faststart.mp4', 0.4);
  cut('long-audio.mkv', 'truncated.mkv', 0.3);
  writeFileSync(f('empty.mp4'), '');
  writeFileSync(f('notes.txt'), 'these are not the frames you are looking for\n');
  const junk = Buffer.alloc(4096, 0x5a);
  Buffer.from('\0\0\0\x18ftypisom\0\0\x02\0isomiso2').copy(junk);
  writeFileSync(f('junk-after-ftyp.mp4'), junk);
  copyFileSync(photo('astronaut.png'), f('still.png'));
  mkdirSync(f('folder'));
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<CustodyError> {
  try {
    const r = await p;
    throw new Error(`expected a CustodyError, got a result: ${JSON.stringify(r).slice(0, 200)}`);
  } catch (e) {
    if (!(e instanceof CustodyError)) throw e;
    return e;
  }
}

describe('fingerprintVideo refuses bad input', () => {
  it.each<[string, string, ErrorCode, RegExp]>([
    ['an MP4 cut in half (no moov atom)', 'truncated.mp4', 'CORRUPT_MEDIA', /readable MP4 video.*truncated or damaged/],
    ['a faststart MP4 cut at 40 %', 'truncated-faststart.mp4', 'CORRUPT_MEDIA', /frames for the 10\.0 s the file states.*stopped at about/],
    ['a Matroska file cut at 30 %', 'truncated.mkv', 'CORRUPT_MEDIA', /frames for the 16\.0 s the file states.*stopped at about/],
    ['an audio-only file', 'audio.m4a', 'UNSUPPORTED_FORMAT', /expected a video stream.*only audio/],
    ['audio with cover art', 'cover-art.m4a', 'UNSUPPORTED_FORMAT', /expected a video stream.*only audio/],
    ['a zero-length video', 'zero-length.mp4', 'CORRUPT_MEDIA', /expected video frames.*empty .* container/],
    ['an empty file', 'empty.mp4', 'CORRUPT_MEDIA', /expected a video, got an empty file/],
    ['a text file', 'notes.txt', 'UNSUPPORTED_FORMAT', /expected a video file ffmpeg can read/],
    ['an MP4 header followed by junk', 'junk-after-ftyp.mp4', 'CORRUPT_MEDIA', /expected a readable MP4 video/],
    ['a still image', 'still.png', 'UNSUPPORTED_FORMAT', /expected a video, got a still image/],
    ['a missing file', 'nope.mp4', 'NOT_FOUND', /expected a video file at .* does not exist/],
    ['a directory', 'folder', 'NOT_FOUND', /expected a video file, got a directory/],
  ])('%s → %s', async (_label, name, code, message) => {
    const e = await refusal(fingerprintVideo(f(name), { tools }));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/^expected /);
  });

  it('leaves no ffmpeg running after the refusals', async () => {
    await refusal(fingerprintVideo(f('truncated-faststart.mp4'), { tools }));
    expect(ffmpegChildren()).toEqual([]);
  });

  it.each<[string, Parameters<typeof fingerprintVideo>[1], ErrorCode, RegExp]>([
    ['a file over maxBytes', { maxBytes: 1000 }, 'FILE_TOO_LARGE', /at most 1000 bytes, got .* KB/],
    ['oversample 0', { oversample: 0 }, 'INVALID_ARGUMENT', /whole number from 1 to 8, got 0/],
    ['oversample 2.5', { oversample: 2.5 }, 'INVALID_ARGUMENT', /whole number from 1 to 8, got 2.5/],
    ['a negative sample rate', { sampleRate: -1 }, 'INVALID_ARGUMENT', /sampling rate in \(0, 60\].*got -1/],
  ])('refuses %s', async (_label, opts, code, message) => {
    const e = await refusal(fingerprintVideo(f('faststart.mp4'), { tools, ...opts }));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it('accepts a whole Matroska file whose audio outlasts the picture, with the picture\'s duration', async () => {
    const fp = await fingerprintVideo(f('long-audio.mkv'), { tools });
    expect(fp.durationSec).toBe(10);
    expect(fp.segments.map((s) => s.frameHashes.length)).toEqual([5, 5]);
  });

  it('reads a stream whose container states no duration (raw H.264) by scanning its packets', async () => {
    const probe = await probeMedia(tools, f('raw.h264'));
    expect(probe.durationSec).toBeNull();
    const fp = await fingerprintVideo(f('raw.h264'), { tools });
    expect(fp.durationSec).toBeCloseTo(6, 2);
    expect(fp.segments.map((s) => s.frameHashes.length)).toEqual([5, 1]);
  });
});

describe('locateFfmpeg', () => {
  it('finds ffmpeg on PATH (ffmpeg-static is not installed here) with ffprobe beside it', async () => {
    const t = await locateFfmpeg({ skipStatic: true });
    expect(t.source).toBe(process.env.FFMPEG_PATH ? 'FFMPEG_PATH' : 'PATH');
    expect(t.versionText).toMatch(/^ffmpeg version /);
  });

  it('prefers FFMPEG_PATH over PATH', async () => {
    const t = await locateFfmpeg({ skipStatic: true, env: { FFMPEG_PATH: tools.ffmpeg, PATH: '' } });
    expect(t).toMatchObject({ source: 'FFMPEG_PATH', ffmpeg: tools.ffmpeg });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['nothing anywhere', { PATH: '' }, /expected ffmpeg to process video, found none: tried .*FFMPEG_PATH \(not set\), ffmpeg on PATH \(none\)/],
    ['a FFMPEG_PATH that does not exist', { FFMPEG_PATH: '/no/such/ffmpeg', PATH: '' }, /expected FFMPEG_PATH to name an executable ffmpeg, got \/no\/such\/ffmpeg/],
  ])('says so when it finds %s', async (_label, env, message) => {
    const e = await refusal(locateFfmpeg({ skipStatic: true, env }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toMatch(message);
  });

  it('refuses an executable that is not ffmpeg', async () => {
    const fake = f('ffmpeg');
    writeFileSync(fake, '#!/bin/sh\necho "hello"\n');
    chmodSync(fake, 0o755);
    const e = await refusal(locateFfmpeg({ skipStatic: true, env: { PATH: dir } }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toMatch(/to be ffmpeg, but `-version` printed "hello"/);
  });
});

describe('the `ffmpeg -i` listing parser', () => {
  it('reads streams, rotation, attached pictures and a missing duration', () => {
    const listing = [
      "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'phone.mov':",
      '  Metadata:',
      '    major_brand     : qt  ',
      '  Duration: 00:01:02.50, start: 0.000000, bitrate: 17000 kb/s',
      '  Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 96 kb/s (default)',
      '  Stream #0:1[0x2](und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv, bt709), 1920x1080, 16000 kb/s, 29.97 fps, 29.97 tbr, 600 tbn (default)',
      '    Side data:',
      '      displaymatrix: rotation of -90.00 degrees',
      '  Stream #0:2: Video: mjpeg (Baseline), yuvj420p(pc), 512x512 [SAR 1:1 DAR 1:1], 90k tbr, 90k tbn (attached pic)',
      'At least one output file must be specified',
    ].join('\n');
    expect(parseFfmpegListing(listing)).toEqual({
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationSec: 62.5,
      hasAudio: true,
      video: { index: 1, codec: 'hevc', width: 1080, height: 1920, fps: 29.97, durationSec: null, rotation: 270 },
    });
    const cover = "Input #0, mp3, from 'a.mp3':\n  Duration: N/A, bitrate: N/A\n  Stream #0:0: Audio: mp3, 44100 Hz\n  Stream #0:1: Video: png, rgb24(pc), 600x600, 90k tbr, 90k tbn (attached pic)\n";
    expect(parseFfmpegListing(cover)).toEqual({ container: 'mp3', durationSec: null, hasAudio: true, video: null });
    expect(parseFfmpegListing('notes.txt: Invalid data found when processing input')).toBeNull();
  });

  it('agrees with ffprobe on a rotated file', async () => {
    await ffmpeg(['-i', f('faststart.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', f('rotated.mp4')]);
    const a = await probeMedia(tools, f('rotated.mp4'));
    const b = await probeMedia(tools, f('rotated.mp4'), { useFfprobe: false });
    expect(a.video).toMatchObject({ width: 240, height: 320, rotation: 90 });
    expect(b.video).toMatchObject({ width: 240, height: 320, rotation: 90 });
    const fp = await fingerprintVideo(f('rotated.mp4'), { tools });
    expect([fp.width, fp.height]).toEqual([240, 320]);
  });
});

describe('pHash worker pool', () => {
  it.each([
    ['through tsx where Node cannot strip types (22.12–22.17)', ['--no-experimental-strip-types'], 'tsx'],
    ['natively where it can', [], nativeStrip ? 'native' : 'tsx'],
  ])('loads its worker %s, under the tsx-run CLI entry', async (_label, flags, loader) => {
    const { stdout } = await run(process.execPath, [...flags, 'bin/run-ts.js', 'test/fixtures/video-pool-check.ts'], { cwd: ROOT });
    const r = JSON.parse(stdout) as { got: string; expected: string; loader: string };
    expect(r.got).toBe(r.expected);
    expect(r.loader).toBe(loader);
  });

  it('refuses a thumbnail of the wrong size and fails clearly when its worker script is missing', async () => {
    const pool = await startPhashPool({ size: 1 });
    try {
      await expect(pool.hash(new Uint8Array(10))).rejects.toThrow(/1024-byte thumbnail, got 10/);
      expect((await pool.hash(new Uint8Array(1024))).length).toBe(8);
    } finally {
      await pool.close();
    }
    await expect(pool.hash(new Uint8Array(1024))).rejects.toThrow(/closed/);
    const e = await refusal(startPhashPool({ size: 1, workerUrl: new URL('file:///no/such/worker.js') }));
    expect(e.code).toBe('IO_ERROR');
  });
});
