// An editor replaces the video while the desk signs it (security review: "a video replaced during signing"). The
// desk reads the input once, into a private snapshot, so the record, the C2PA assertion and the signed output all
// describe the video that was there when signing began, and the swapped-in footage is signed nowhere.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readManifest } from '../core/c2pa/read.ts';
import { Desk } from '../core/desk.ts';
import { fingerprintVideo } from '../core/media/video/fingerprint.ts';
import type { WorkPhase } from '../core/media/progress.ts';
import { ffmpeg } from './fixtures/video.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
let dir: string;
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

beforeAll(async () => {
  desk = await tempDesk('Swap Desk');
  dir = tempDir('custody-video-swap-');
  // A: the footage signed; B: other footage, swapped in while the desk works.
  const x264 = ['-vf', 'format=yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '28'];
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=6', ...x264, join(dir, 'A.mp4')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'mandelbrot=size=320x180:rate=25', '-t', '6', ...x264, join(dir, 'B.mp4')]);
  await ffmpeg(['-i', join(dir, 'A.mp4'), '-c', 'copy', join(dir, 'A.mov')]);
  await ffmpeg(['-i', join(dir, 'B.mp4'), '-c', 'copy', join(dir, 'B.mov')]);
}, 120_000);
afterAll(() => desk.close());

/** Signs `input` (a copy of `a`), replacing it with `b` the first time signing reports `phase`. */
async function signSwapping(a: string, b: string, name: string, phase: WorkPhase) {
  const input = join(dir, name);
  copyFileSync(join(dir, a), input);
  let swapped = false;
  const receipt = await desk.sign(input, {
    actor: desk.bootstrapActor()!,
    outDir: join(dir, `out-${name}`),
    again: true, // A is signed by more than one test
    onProgress: (p) => {
      if (p.phase === phase && !swapped) {
        copyFileSync(join(dir, b), input);
        swapped = true;
      }
    },
  });
  expect(swapped).toBe(true);
  expect(sha(input)).toBe(sha(join(dir, b)));
  return receipt;
}

const scratchLeft = () => {
  const scratch = join(desk.home, 'scratch');
  return existsSync(scratch) ? readdirSync(scratch) : [];
};

it('C2PA (MP4): swapped while the credentials are made, the output is still A, with A\'s record and manifest', async () => {
  const shaA = sha(join(dir, 'A.mp4'));
  const r = await signSwapping('A.mp4', 'B.mp4', 'report.mp4', 'credentials');
  expect(r.c2pa.status).toBe('embedded');
  expect(r.sha256).toBe(shaA);
  expect(sha(r.output)).toBe(r.outputSha256);
  const m = await readManifest(readFileSync(r.output), 'video/mp4', { trustAnchorsPem: desk.orgRootPem() });
  expect(m?.custody?.original.sha256).toBe(shaA);
  // The output's pictures are A's: its fingerprint gives the record's segment chain (B's would not).
  const out = await fingerprintVideo(r.output);
  expect(out.chainHash).toBe(r.phash);
  expect(out.chainHash).not.toBe((await fingerprintVideo(join(dir, 'B.mp4'))).chainHash);
  expect((await desk.verify(r.output)).verdict).toBe('authentic');
  expect(scratchLeft()).toEqual([]);
}, 120_000);

it('C2PA (MP4): swapped while the frames are decoded, the record\'s chain is A\'s and matches its SHA-256', async () => {
  const r = await signSwapping('A.mp4', 'B.mp4', 'decode.mp4', 'fingerprinting');
  const a = await fingerprintVideo(join(dir, 'A.mp4'));
  expect(r.sha256).toBe(a.sha256);
  expect(r.phash).toBe(a.chainHash);
  expect((await fingerprintVideo(r.output)).chainHash).toBe(a.chainHash);
}, 120_000);

it('copy (MOV, no manifest): swapped before the output is written, the output is A\'s bytes, as the record says', async () => {
  const shaA = sha(join(dir, 'A.mov'));
  const r = await signSwapping('A.mov', 'B.mov', 'clip.mov', 'writing');
  expect(r.c2pa.status).toBe('skipped');
  expect(r.sha256).toBe(shaA);
  expect(r.outputSha256).toBe(shaA);
  expect(sha(r.output)).toBe(shaA);
  const v = await desk.verify(r.output);
  expect(v.verdict).toBe('original'); // without a manifest the signed copy is the original's bytes
  expect(v.recordId).toBe(r.recordId);
  expect(scratchLeft()).toEqual([]);
}, 120_000);

it('a video that fails to sign leaves no snapshot, and the error names the input, not the snapshot', async () => {
  const input = join(dir, 'cut.mp4');
  await ffmpeg(['-i', join(dir, 'A.mp4'), '-c', 'copy', '-movflags', '+faststart', join(dir, 'A-fast.mp4')]);
  // The header (first, with faststart) promises 6 s; the picture data stops a third of the way in.
  const whole = readFileSync(join(dir, 'A-fast.mp4'));
  writeFileSync(input, whole.subarray(0, Math.floor(whole.length / 3)));
  const err = await desk.sign(input, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out-cut') }).then(() => null, (e: unknown) => e as Error & { code?: string });
  expect(err).toBeInstanceOf(Error);
  expect(err?.code).toBe('CORRUPT_MEDIA');
  expect(err?.message).toContain(input);
  expect(err?.message).not.toContain(join(desk.home, 'scratch'));
  expect(scratchLeft()).toEqual([]);
}, 120_000);

it('a snapshot a killed process left behind is removed when the desk next opens; a running one\'s stays', async () => {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid names no running process
  const scratch = join(desk.home, 'scratch');
  mkdirSync(join(scratch, `${dead}-left`), { recursive: true });
  writeFileSync(join(scratch, `${dead}-left`, 'original.mp4'), 'half a video');
  mkdirSync(join(scratch, `${process.pid}-busy`));
  const again = Desk.open(desk.home);
  again.close();
  expect(scratchLeft()).toEqual([`${process.pid}-busy`]);
  rmSync(join(scratch, `${process.pid}-busy`), { recursive: true });
});
