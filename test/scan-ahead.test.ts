// A photo scanned while the vault unlocks (core/provenance/scan-ahead.ts, Desk.prepareSigning): the sign takes the
// scan only when it was made from the bytes the sign itself read and binds, and the result is the same signature of
// the same picture as without it. A file changed between the scan and the sign is signed from its new bytes.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readManifest } from '../core/c2pa/read.ts';
import type { Desk } from '../core/desk.ts';
import { DEFAULT_LIMITS } from '../core/media/detect.ts';
import { sha256Hex } from '../core/media/hash.ts';
import { releasePixels } from '../core/media/passes.ts';
import { pixelPoolStarted } from '../core/media/pixel-pool.ts';
import { ScanAhead, scanAheadPool } from '../core/provenance/scan-ahead.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
let dir: string;
/** Two different photographs of 2.4 MP (large enough for the pixels to be shared with the pool's workers). */
let coffee: Buffer;
let astronaut: Buffer;

beforeAll(async () => {
  process.env.CUSTODY_PIXEL_WORKERS ??= '1'; // a pool to share with, even on one core
  desk = await tempDesk();
  dir = tempDir('custody-ahead-');
  coffee = await sharp(photo('coffee.png')).resize(1800, 1350).jpeg({ quality: 90 }).toBuffer();
  astronaut = await sharp(photo('astronaut.png')).resize(1800, 1350).jpeg({ quality: 90 }).toBuffer();
});
afterAll(() => desk.close());
afterEach(() => vi.restoreAllMocks());

/** What ScanAhead.take answered during `fn`: null where the scan was not taken. */
async function takes(fn: () => Promise<unknown>): Promise<(string | null)[]> {
  const take = vi.spyOn(ScanAhead.prototype, 'take');
  await fn();
  return Promise.all(take.mock.results.map(async (r) => ((await r.value) as Awaited<ReturnType<ScanAhead['take']>>)?.phash ?? null));
}

describe('ScanAhead', () => {
  it('gives its scan once, and only for the SHA-256 of the bytes it scanned', async () => {
    const file = join(dir, 'unit.jpg');
    writeFileSync(file, coffee);
    const ahead = new ScanAhead(file, DEFAULT_LIMITS);
    expect(await ahead.ready()).toBe(true);
    expect(await ahead.take(sha256Hex(astronaut))).toBeNull();
    expect(await ahead.take(sha256Hex(coffee))).toBeNull(); // once: the first answer settled it

    // with the process's pixel workers (up) and on this thread alone: the same scan
    expect(await pixelPoolStarted()).not.toBeNull();
    const shared = await new ScanAhead(file, DEFAULT_LIMITS, 'default').take(sha256Hex(coffee));
    const alone = await new ScanAhead(file, DEFAULT_LIMITS, null).take(sha256Hex(coffee));
    expect(shared!.pixels.shared).not.toBeNull();
    expect(alone!.pixels.shared).toBeNull();
    for (const scan of [shared!, alone!]) {
      expect(scan).toMatchObject({ info: { width: 1800, height: 1350 }, pixels: { raster: { width: 1800, height: 1350 } } });
      expect(scan.phash).toMatch(/^[0-9a-f]{16}$/);
      expect(scan.watermarkLuma).not.toBeNull();
    }
    expect(alone!.phash).toBe(shared!.phash);
    expect(alone!.layout).toBe(shared!.layout);
    expect(Buffer.from(alone!.watermarkLuma!.grid().buffer).equals(Buffer.from(shared!.watermarkLuma!.grid().buffer))).toBe(true);
  });

  it('with Content Credentials to write, looks up whether the original carries some; without, does not', async () => {
    const file = join(dir, 'lookup.jpg');
    writeFileSync(file, coffee);
    const scan = await new ScanAhead(file, DEFAULT_LIMITS, null, true).take(sha256Hex(coffee));
    expect(scan!.manifest!.mime).toBe('image/jpeg');
    expect(await scan!.manifest!.present).toBe(false);
    expect(scan!.watermark).toMatchObject({ width: 1800, height: 1350 });
    releasePixels(scan!.pixels);
    const plain = await new ScanAhead(file, DEFAULT_LIMITS, null).take(sha256Hex(coffee));
    expect(plain!.manifest).toBeUndefined();
    releasePixels(plain!.pixels);
  });

  it('shares a photo with the pixel workers only where a third core is free for them', () => {
    expect(scanAheadPool(2)).toBeNull();
    expect(scanAheadPool(1)).toBeNull();
    expect(scanAheadPool(3)).toBe('default');
    expect(scanAheadPool(16)).toBe('default');
  });

  it('leaves no scan of what it cannot read as a photo', async () => {
    const text = join(dir, 'notes.jpg');
    writeFileSync(text, 'not a picture at all');
    for (const path of [text, join(dir, 'missing.jpg')]) {
      const ahead = new ScanAhead(path, DEFAULT_LIMITS);
      expect(await ahead.ready()).toBe(false);
      expect(await ahead.take(sha256Hex(await readFile(text)))).toBeNull();
    }
  });
});

describe('Desk.prepareSigning with the first file', () => {
  it('signs the scanned photo with the scan, the same picture as a sign without it', async () => {
    const file = join(dir, 'coffee.jpg');
    writeFileSync(file, coffee);
    const actor = desk.bootstrapActor()!;
    const plain = await desk.sign(file, { actor, outDir: join(dir, 'plain') });

    let ahead!: Awaited<ReturnType<Desk['sign']>>;
    expect(await desk.prepareSigning(file)).toBe(true);
    const taken = await takes(async () => (ahead = await desk.sign(file, { actor, outDir: join(dir, 'ahead'), again: true })));
    expect(taken).toEqual([plain.phash]);
    expect(ahead.sha256).toBe(plain.sha256);
    expect(ahead.phash).toBe(plain.phash);
    expect(ahead.watermark.status).toBe('embedded');
    const records = desk.items().filter((r) => r.sha256 === plain.sha256);
    expect(records).toHaveLength(2);
    expect(new Set(records.map((r) => JSON.stringify(r.details.layout))).size).toBe(1);
    const report = await desk.verify(ahead.output);
    expect(report.verdict).toBe('authentic');
    expect(report.recordId).toBe(ahead.recordId);
  });

  it('signs a scanned original that carries credentials with them as its parent, one without them as created', async () => {
    const actor = desk.bootstrapActor()!;
    const file = join(dir, 'credited.jpg');
    writeFileSync(file, coffee);
    const first = await desk.sign(file, { actor, outDir: join(dir, 'credited'), again: true });
    const manifests: (boolean | undefined)[] = [];
    const take = vi.spyOn(ScanAhead.prototype, 'take');
    expect(await desk.prepareSigning(first.output)).toBe(true);
    const again = await desk.sign(first.output, { actor, outDir: join(dir, 'credited-again') });
    const m = await readManifest(readFileSync(again.output), 'image/jpeg', { trustAnchorsPem: desk.orgRootPem() });
    expect(m!.valid).toBe(true);
    expect(m!.history).toHaveLength(2); // the first signature's manifest is the parent
    expect(m!.actions[0]!.action).toBe('c2pa.opened');

    const camera = join(dir, 'camera.jpg');
    writeFileSync(camera, await sharp(coffee).withExif({ IFD0: { Make: 'Canon', Model: 'Canon EOS R5' } }).jpeg({ quality: 90 }).toBuffer());
    expect(await desk.prepareSigning(camera)).toBe(true);
    const created = await desk.sign(camera, { actor, outDir: join(dir, 'camera') });
    const c = await readManifest(readFileSync(created.output), 'image/jpeg');
    expect(c!.history).toHaveLength(1);
    expect(c!.actions[0]).toMatchObject({ action: 'c2pa.created' });
    for (const r of take.mock.results) manifests.push(await ((await r.value) as Awaited<ReturnType<ScanAhead['take']>>)?.manifest?.present);
    expect(manifests).toEqual([true, false]); // both taken, each with its lookup
  });

  it('signs a file changed after the scan from the bytes it reads then, not from the scan', async () => {
    const file = join(dir, 'swapped.jpg');
    writeFileSync(file, coffee);
    const actor = desk.bootstrapActor()!;
    expect(await desk.prepareSigning(file)).toBe(true);
    writeFileSync(file, astronaut); // replaced once the scan of the coffee photo is done

    let r!: Awaited<ReturnType<Desk['sign']>>;
    const taken = await takes(async () => (r = await desk.sign(file, { actor, outDir: join(dir, 'swapped'), again: true })));
    expect(taken).toEqual([null]);
    expect(r.sha256).toBe(sha256Hex(astronaut));
    const direct = join(dir, 'astronaut.jpg');
    writeFileSync(direct, astronaut);
    const reference = await desk.sign(direct, { actor, outDir: join(dir, 'reference'), again: true });
    expect(r.phash).toBe(reference.phash);
    expect((await desk.verify(r.output)).verdict).toBe('authentic');
  });

  it('scans nothing for another path, and a scan left untaken does not outlive the next one', async () => {
    const a = join(dir, 'a.jpg');
    const b = join(dir, 'b.jpg');
    writeFileSync(a, coffee);
    writeFileSync(b, astronaut);
    const actor = desk.bootstrapActor()!;
    expect(await desk.prepareSigning(a)).toBe(true);
    // signing b does not take a's scan
    expect(await takes(() => desk.sign(b, { actor, outDir: join(dir, 'b'), again: true }))).toEqual([]);
    // a new preparation replaces a's, which is dropped: its take answers nothing
    const dropped = vi.spyOn(ScanAhead.prototype, 'drop');
    expect(await desk.prepareSigning(b)).toBe(true);
    expect(dropped).toHaveBeenCalledTimes(1);
    expect(await takes(() => desk.sign(a, { actor, outDir: join(dir, 'a'), again: true }))).toEqual([]);
    expect(await takes(() => desk.sign(b, { actor, outDir: join(dir, 'b2'), again: true }))).toHaveLength(1);
  });

  it('does not read a photo the desk may not read', async () => {
    // /dev is a system folder the desk never reads from; /dev/shm is writable, so a real photo can sit there
    const refused = `/dev/shm/custody-ahead-${process.pid}.jpg`;
    writeFileSync(refused, coffee);
    try {
      expect(await desk.prepareSigning(refused)).toBe(false);
      await expect(desk.sign(refused, { actor: desk.bootstrapActor()!, outDir: join(dir, 'refused') })).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    } finally {
      rmSync(refused, { force: true });
    }
    expect(await desk.prepareSigning(join(dir, 'missing.jpg'))).toBe(false);
  });
});
