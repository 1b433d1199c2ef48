// Video verdicts through the desk on real ffmpeg copies of a short, small clip whose photographs hold still before
// they are zoomed into: the footage on which a platform-style re-encode used to read as tampered, with sub-second
// "extra" ranges. The whole matrix (codecs, GOPs, rates, trims, six kinds of edit on five sources) is in
// test/video.slow.test.ts and `npm run bench:video-accuracy`.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import type { SourceClip, Transform } from './fixtures/video-suite.ts';
import { TRANSFORMS, judge, makeOther, makeZooms } from './fixtures/video-suite.ts';
import { excerpt, ffmpeg, reencode } from './fixtures/video.ts';
import { footageWords, summary } from '../core/provenance/verdict-words.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

const SRC: SourceClip = { name: 'zooms', width: 320, height: 180, fps: 30, seconds: 24, make: (o) => makeZooms(o, { width: 320, height: 180, fps: 30, seconds: 24 }) };

let desk: Desk;
let dir: string;
let src: string;
let other: string;

beforeAll(async () => {
  desk = await tempDesk('Video Verify Desk');
  dir = tempDir('custody-video-verify-');
  src = join(dir, 'zooms.mp4');
  other = join(dir, 'other.mp4');
  await SRC.make(src);
  await makeOther(other, SRC);
  await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out') });
}, 120_000);
afterAll(() => desk.close());

const byName = (name: string): Transform => TRANSFORMS.find((t) => t.name === name)!;

async function verifyCopy(t: Transform) {
  const out = join(dir, `${t.name.replace(/\W+/g, '-')}.${t.ext}`);
  await t.make(src, out, { src: SRC, other });
  return desk.verify(out);
}

describe('video verdicts on real copies', () => {
  it('a platform re-encode (240p, CRF 30, its own 2 s GOP with B-frames, 25 fps) is derived, every segment traced, no extra footage', async () => {
    const t: Transform = {
      name: 'platform 25 fps', kind: 'reencode', ext: 'mp4',
      make: (s, o) => ffmpeg(['-i', s, '-vf', 'scale=-2:240,fps=25', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '30', '-g', '50', '-sc_threshold', '0', '-bf', '3', o]),
    };
    const r = await verifyCopy(t);
    expect(r.verdict).toBe('derived');
    expect(r.changedRanges).toEqual([]);
    expect(r.segments!.every((s) => s.status === 'match' || s.status === 'similar')).toBe(true);
    expect(r.checks.phash.status).toBe('pass');
    expect(judge(t, r)).toMatchObject({ ok: true, traced: 1 });
  }, 120_000);

  it('a copy trimmed at 6.4 s is derived: the cut-off start missing, the rest traced, nothing changed or added', async () => {
    const r = await verifyCopy(byName('trim start 6.4 s'));
    expect(r.verdict).toBe('derived');
    expect(r.changedRanges).toEqual([{ start: 0, end: 5, status: 'missing' }]);
    expect(r.segments!.slice(1).map((s) => s.status).every((s) => s === 'match' || s === 'similar')).toBe(true);
    expect(r.checks.phash).toMatchObject({ status: 'pass', detail: expect.stringContaining('trimmed') });
  }, 120_000);

  it('10 s of another clip spliced over 12–22 s is tampered, located within a segment of the truth', async () => {
    const t = byName('splice 10 s (12–22 s)');
    const r = await verifyCopy(t);
    expect(r.verdict).toBe('tampered');
    expect(judge(t, r).ok).toBe(true);
    expect(r.segments!.filter((s) => s.status === 'changed').map((s) => s.index)).toEqual(expect.arrayContaining([3]));
    expect(r.segments!.filter((s) => s.end <= 10).every((s) => s.status === 'match' || s.status === 'similar')).toBe(true);
  }, 120_000);

  it('5 s replaced by black is tampered, the black stretch changed and the footage around it traced', async () => {
    const t: Transform = { ...byName('black 26–31 s'), truth: [{ start: 11, end: 16 }] };
    const r = await verifyCopy({
      ...t,
      make: (s, o) => ffmpeg(['-i', s, '-vf', "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,11,16)'", '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', o]),
    });
    expect(r.verdict).toBe('tampered');
    expect(judge(t, r).ok).toBe(true);
    expect(r.changedRanges!.every((g) => g.status === 'changed')).toBe(true);
    expect(r.segments!.filter((s) => s.end <= 10 || s.start >= 20).every((s) => s.status === 'match' || s.status === 'similar')).toBe(true);
  }, 120_000);

  it('a 6-second excerpt (10–16 s) is derived: the footage in it traced, the rest reported as cut, nothing changed outside it', async () => {
    const t: Transform = { name: 'excerpt 10–16 s', kind: 'trim', ext: 'mp4', make: (s, o) => excerpt(s, o, 10, 16) };
    const r = await verifyCopy(t);
    expect(r.verdict).toBe('derived');
    expect(r.changedRanges!.every((g) => g.status === 'missing')).toBe(true);
    // what the copy has is traced; a range reported outside the excerpt can only say "cut"
    for (const s of r.segments!) {
      if (s.status !== 'match' && s.status !== 'similar') expect(s.status).toBe('missing');
    }
    expect(r.segments!.some((s) => s.status === 'match' || s.status === 'similar')).toBe(true);
    const words = footageWords(r)!;
    expect(words).toMatch(/^an excerpt: \d:\d\d–\d:\d\d of the signed video/);
    expect(summary(r)).toMatch(/^An excerpt of the video signed as record /);
    expect(`${words} ${summary(r)}`).not.toMatch(/broken|changed|tamper/i);
  }, 120_000);

  it('a plain re-encode is derived and says what happened: re-encoded, every segment matching, never "chain broken"', async () => {
    const t: Transform = { name: 'plain re-encode', kind: 'reencode', ext: 'mp4', make: (s, o) => reencode(s, o, { crf: 26 }) };
    const r = await verifyCopy(t);
    expect(r.verdict).toBe('derived');
    expect(r.chainIntact).toBe(false);
    expect(footageWords(r)).toMatch(/^re-encoded: every segment matches the signed footage visually/);
    expect(summary(r)).toMatch(/^A re-encoded copy of the video signed as record /);
    expect(`${footageWords(r)} ${summary(r)}`).not.toMatch(/broken/i);
  }, 120_000);

  it('the words never speak of credentials the Content Credentials row did not find', async () => {
    const t: Transform = { ...byName('black 26–31 s'), make: (s, o) => ffmpeg(['-i', s, '-vf', "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,11,16)'", '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', o]) };
    const r = await verifyCopy(t);
    expect(r.verdict).toBe('tampered');
    expect(r.checks.c2pa.status).not.toBe('pass');
    expect(summary(r)).not.toMatch(/credential/i);
    expect(footageWords(r)).toMatch(/^changed: /);
  }, 120_000);
});
