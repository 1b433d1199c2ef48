// Copies found online are untrusted input, and web mode's public verification reads whatever a stranger uploads.
// Signed JPEG, PNG and MP4 files with their structure's length fields rewritten (each JPEG marker segment, the
// C2PA JUMBF boxes inside APP11, each PNG chunk, each MP4 box down to the sample tables) must come back as a coded
// refusal (CORRUPT_MEDIA, UNSUPPORTED_FORMAT) or a verdict other than `authentic`: never an uncaught exception, a
// hang or a runaway allocation. (A scratch run of the same with random byte flips and truncations, 150 per format,
// found nothing either.)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { isCustodyError } from '../core/errors.ts';
import { tinyMp4 } from './fixtures/c2pa.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
let dir: string;
beforeAll(async () => {
  desk = await tempDesk('Hostile Files');
  dir = tempDir('custody-hostile-');
  desk.setAllowedRoots(desk.bootstrapActor()!, [dir]);
}, 60_000);
afterAll(() => desk?.close());

async function signed(name: string, make: (path: string) => Promise<void> | void): Promise<Buffer> {
  const p = join(dir, name);
  await make(p);
  return readFileSync((await desk.sign(p, { actor: desk.bootstrapActor()!, outDir: join(dir, `out-${name}`) })).output);
}

/** Verifies each variant; the outcome of each (a verdict, or a refusal's code), failing on anything else. */
async function outcomes(ext: string, variants: { name: string; bytes: Buffer }[]): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (const v of variants) {
    const path = join(dir, `${v.name}.${ext}`);
    writeFileSync(path, v.bytes);
    let outcome: string;
    try {
      const r = await desk.verify(path);
      outcome = r.verdict;
    } catch (e) {
      if (!isCustodyError(e)) throw new Error(`${v.name}: expected a coded refusal, got ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
      outcome = e.code;
    }
    expect([v.name, outcome]).not.toEqual([v.name, 'authentic']);
    expect(['CORRUPT_MEDIA', 'UNSUPPORTED_FORMAT', 'tampered', 'derived', 'unknown'], v.name).toContain(outcome);
    seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
  }
  return seen;
}

/** `bytes` with the big-endian length of `width` bytes at `at` set to each of `values` (those that change it). */
function withLengths(bytes: Buffer, at: number, width: 2 | 4, values: number[], name: string): { name: string; bytes: Buffer }[] {
  const now = width === 2 ? bytes.readUInt16BE(at) : bytes.readUInt32BE(at);
  return values.filter((v) => v !== now).map((v) => {
    const b = Buffer.from(bytes);
    if (width === 2) b.writeUInt16BE(v, at);
    else b.writeUInt32BE(v >>> 0, at);
    return { name: `${name}-${v}`, bytes: b };
  });
}

describe('hostile length fields in signed files', { timeout: 180_000 }, () => {
  it('JPEG: every marker segment before the scan, and the C2PA JUMBF boxes', async () => {
    const jpg = await signed('quay.jpg', (p) => sharp(photo('coffee.png')).jpeg({ quality: 90 }).toFile(p).then(() => undefined));
    const variants: { name: string; bytes: Buffer }[] = [];
    let jumbf = 0;
    for (let at = 2; at + 4 <= jpg.length && jpg[at] === 0xff && jpg[at + 1] !== 0xda; at += 2 + jpg.readUInt16BE(at + 2)) {
      const marker = jpg[at + 1]!;
      variants.push(...withLengths(jpg, at + 2, 2, [0, 2, 0xffff], `seg-${marker.toString(16)}-${at}`));
      if (marker !== 0xeb) continue;
      for (let k = at + 4; k + 8 < at + 2 + jpg.readUInt16BE(at + 2); k++) {
        // the first dozen boxes: the store, the manifest, its claim, assertions and signature (cost: one verify each)
        if (jumbf >= 12 || !/^(jumb|jumd|cbor|json|bfdb|bidb|c2sh)$/.test(jpg.toString('latin1', k + 4, k + 8))) continue;
        jumbf++;
        variants.push(...withLengths(jpg, k, 4, [7, 0xfffffff0], `jumbf-${jpg.toString('latin1', k + 4, k + 8)}-${k}`));
      }
    }
    expect(jumbf).toBeGreaterThan(5);
    const seen = await outcomes('jpg', variants);
    // both kinds of outcome are exercised: refusals and verdicts on a file that still decodes
    expect(seen.get('CORRUPT_MEDIA')).toBeGreaterThan(0);
    expect(seen.get('tampered')).toBeGreaterThan(0);
  });

  it('PNG: every chunk but the image data, and the first image data chunk', async () => {
    const png = await signed('quay.png', (p) => sharp(photo('coffee.png')).png().toFile(p).then(() => undefined));
    const chunks: { at: number; type: string }[] = [];
    for (let at = 8; at + 12 <= png.length; at += 12 + png.readUInt32BE(at)) {
      chunks.push({ at, type: png.toString('latin1', at + 4, at + 8) });
      if (chunks.at(-1)!.type === 'IEND') break;
    }
    expect(chunks.map((c) => c.type)).toContain('caBX');
    const picked = chunks.filter((c) => c.type !== 'IDAT').concat(chunks.filter((c) => c.type === 'IDAT').slice(0, 1));
    const seen = await outcomes('png', picked.flatMap((c) => withLengths(png, c.at, 4, [0, 1, 0x7fffffff, 0xfffffff0], `chunk-${c.type}-${c.at}`)));
    expect(seen.get('CORRUPT_MEDIA')).toBeGreaterThan(0);
  });

  it('MP4: every box header, nested ones included', async () => {
    const clip = tinyMp4();
    if (!clip) throw new Error('expected ffmpeg (the test makes its clip with it), got none');
    const mp4 = await signed('clip.mp4', (p) => writeFileSync(p, clip));
    const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'udta', 'dinf']);
    const boxes: { at: number; type: string }[] = [];
    const walk = (from: number, to: number): void => {
      for (let at = from; at + 8 <= to;) {
        const size = mp4.readUInt32BE(at);
        const type = mp4.toString('latin1', at + 4, at + 8);
        boxes.push({ at, type });
        const len = size === 1 ? Number(mp4.readBigUInt64BE(at + 8)) : size === 0 ? to - at : size;
        if (len < 8) return;
        if (CONTAINERS.has(type)) walk(at + 8, at + len);
        at += len;
      }
    };
    walk(0, mp4.length);
    expect(boxes.map((b) => b.type)).toEqual(expect.arrayContaining(['uuid', 'moov', 'stbl', 'stsz', 'stco']));
    const seen = await outcomes('mp4', boxes.flatMap((b) => withLengths(mp4, b.at, 4, [0, 7, 0xfffffff0], `box-${b.type}-${b.at}`)));
    expect(seen.get('CORRUPT_MEDIA')).toBeGreaterThan(0);
  });
});
