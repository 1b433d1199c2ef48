// A photographer drops a file into a watched folder and keeps a hard link to it in a dot-folder the watcher ignores
// (security review: "a video replaced during signing", the watched-folder case). The desk takes the drop by rename,
// so without care the link would still reach the staged file and, after signing, the kept original. A drop with
// other hard links is staged as a copy of its own: writing through the link changes neither what is signed nor
// what is kept.
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type * as Fingerprint from '../core/media/video/fingerprint.ts';

// The photographer writes through the link while the desk signs: when the video's fingerprint starts.
const during = vi.hoisted(() => ({ write: null as (() => void) | null }));
vi.mock('../core/media/video/fingerprint.ts', async (orig) => {
  const real = await orig<typeof Fingerprint>();
  const fingerprintVideo: typeof real.fingerprintVideo = (path, options) => {
    const write = during.write;
    during.write = null;
    write?.();
    return real.fingerprintVideo(path, options);
  };
  return { ...real, fingerprintVideo };
});

import type { Desk } from '../core/desk.ts';
import { fingerprintVideo } from '../core/media/video/fingerprint.ts';
import { tempName } from '../core/watch/fs.ts';
import { claimJob, getJob } from '../core/watch/jobs.ts';
import { stagingDirOf } from '../core/watch/paths.ts';
import { ffmpeg } from './fixtures/video.ts';
import { tempDir } from './helpers/cli.ts';
import { addFolder, engineFor, expectExactlyOnce, newDesk, resume, sha256, uniqueJpeg } from './watch-helpers.ts';

let desk: Desk;
let dir: string;
beforeAll(async () => {
  desk = await newDesk();
  dir = tempDir('custody-watch-link-');
  const x264 = ['-vf', 'format=yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '28'];
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=6', ...x264, join(dir, 'A.mp4')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'mandelbrot=size=320x180:rate=25', '-t', '6', ...x264, join(dir, 'B.mp4')]);
}, 120_000);
afterAll(() => desk.close());

/** Drops `bytes` as IN/name while keeping IN/.keep/name as a hard link to the same file; returns the link. */
function dropLinked(inDir: string, name: string, bytes: Uint8Array): string {
  mkdirSync(join(inDir, '.keep'), { recursive: true });
  const kept = join(inDir, '.keep', name);
  writeFileSync(kept, bytes);
  linkSync(kept, join(inDir, name));
  return kept;
}

it('a video written through the link while the desk signs it: the record, the output and the kept original are the dropped video', async () => {
  const s = addFolder(desk);
  const engine = engineFor(desk, s.folder, s.inDir, s.outDir);
  const a = readFileSync(join(dir, 'A.mp4'));
  const b = readFileSync(join(dir, 'B.mp4'));
  const link = dropLinked(s.inDir, 'clip.mp4', a);
  let wrote = false;
  during.write = () => {
    writeFileSync(link, b); // same inode as the drop, unless the desk staged a copy of its own
    wrote = true;
  };
  await engine.engine.start([s.folder.id]);
  const [o] = await engine.waitFor(1, 120_000);
  await engine.engine.stop();
  expect(wrote).toBe(true);
  expect(o?.status).toBe('signed');

  const rec = desk.items().find((r) => r.kind === 'video')!;
  const chainA = (await fingerprintVideo(join(dir, 'A.mp4'))).chainHash;
  expect(rec.sha256).toBe(sha256(a));
  expect(rec.phash).toBe(chainA);
  expect((await fingerprintVideo(rec.outputPath!)).chainHash).toBe(chainA);
  expect((await desk.verify(rec.outputPath!)).verdict).toBe('authentic');

  // The kept original is the dropped bytes, on an inode of its own; the photographer's link is left as it was.
  expect(sha256(readFileSync(rec.inputPath!))).toBe(sha256(a));
  expect(statSync(rec.inputPath!).ino).not.toBe(statSync(link).ino);
  expect(statSync(rec.inputPath!).nlink).toBe(1);
  expect(sha256(readFileSync(link))).toBe(sha256(b));
  writeFileSync(link, 'changed after signing');
  expect(sha256(readFileSync(rec.inputPath!))).toBe(rec.sha256);
  expectExactlyOnce(desk, s, new Map([['clip.mp4', a]]));
}, 180_000);

it('a photo with another hard link is kept as a copy of its own, and a file without one is still moved, not copied', async () => {
  const s = addFolder(desk);
  const engine = engineFor(desk, s.folder, s.inDir, s.outDir);
  const linked = await uniqueJpeg();
  const single = await uniqueJpeg();
  const link = dropLinked(s.inDir, 'linked.jpg', linked);
  writeFileSync(join(s.inDir, 'single.jpg'), single);
  const singleIno = statSync(join(s.inDir, 'single.jpg')).ino;
  await engine.engine.start([s.folder.id]);
  await engine.waitFor(2, 60_000);
  await engine.engine.stop();
  const originals = join(s.outDir, 'originals');
  expect(statSync(join(originals, 'linked.jpg')).ino).not.toBe(statSync(link).ino);
  expect(statSync(join(originals, 'linked.jpg')).nlink).toBe(1);
  writeFileSync(link, 'changed after signing');
  expect(sha256(readFileSync(join(originals, 'linked.jpg')))).toBe(sha256(linked));
  expect(statSync(join(originals, 'single.jpg')).ino).toBe(singleIno);
  expect(existsSync(link)).toBe(true);
  expectExactlyOnce(desk, s, new Map([['linked.jpg', linked], ['single.jpg', single]]));
}, 120_000);


it('replays a crash between taking a hard-linked drop and copying it: the copy is made then, and a half copy is cleared', async () => {
  const s = addFolder(desk);
  const bytes = await uniqueJpeg();
  const link = dropLinked(s.inDir, 'r.jpg', bytes);
  const src = join(s.inDir, 'r.jpg');
  const st = statSync(src);
  const claimed = claimJob(desk.store, s.folder, { relPath: 'r.jpg', sourcePath: src, size: st.size, mtimeMs: st.mtimeMs }, new Date())!;
  // What the killed watcher left: the drop renamed into its staging folder (still linked), and a copy begun beside it.
  const staged = join(stagingDirOf(s.outDir, s.folder.id, claimed.id), 'original', 'r.jpg');
  mkdirSync(dirname(staged), { recursive: true });
  renameSync(src, staged);
  writeFileSync(tempName(staged), 'half a copy');

  await resume(desk, s);
  expect(getJob(desk.store, claimed.id).state).toBe('done');
  const kept = join(s.outDir, 'originals', 'r.jpg');
  expect(statSync(kept).ino).not.toBe(statSync(link).ino);
  expect(statSync(kept).nlink).toBe(1);
  writeFileSync(link, 'changed after signing');
  expect(sha256(readFileSync(kept))).toBe(sha256(bytes));
  expectExactlyOnce(desk, s, new Map([['r.jpg', bytes]]));
});
