// A video is authentic only as the bytes the desk signed. A copy whose every segment matches at the sampled instants
// but whose bytes differ (here the signed MP4 with its sound replaced; the remux drops the manifest) was reported
// `authentic` with confidence 1, though its audio, and any frame between the samples, was compared with nothing
// signed. It is `derived` now: traced to the record, every segment identical where it was sampled.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { sha256Hex } from '../core/media/hash.ts';
import { makeZooms } from './fixtures/video-suite.ts';
import { ffmpeg } from './fixtures/video.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
let dir: string;
let signed: { recordId: string; output: string };

beforeAll(async () => {
  desk = await tempDesk('Video Desk');
  dir = tempDir('custody-video-verdict-');
  const src = join(dir, 'zooms.mp4');
  await makeZooms(src, { width: 320, height: 180, fps: 30, seconds: 8 });
  signed = await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out') });
}, 180_000);
afterAll(() => desk.close());

it('the signed file is authentic; the same pictures with other sound are derived, not authentic', async () => {
  expect(await desk.verify(signed.output)).toMatchObject({ verdict: 'authentic', confidence: 1, recordId: signed.recordId });

  const dubbed = join(dir, 'dubbed.mp4');
  await ffmpeg(['-i', signed.output, '-f', 'lavfi', '-i', 'sine=frequency=440:duration=8', '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-shortest', dubbed]);
  expect(sha256Hex(readFileSync(dubbed))).not.toBe(sha256Hex(readFileSync(signed.output)));
  const v = await desk.verify(dubbed);
  expect(v.segments?.every((s) => s.status === 'match')).toBe(true); // identical where the frames were sampled
  expect(v.checks.sha256.status).not.toBe('pass');
  expect(v).toMatchObject({ verdict: 'derived', recordId: signed.recordId });
}, 180_000);
