// Sign workers (core/provenance/sign-pool.ts): a photo rendered in a worker thread is signed exactly as one rendered
// on the desk's own thread, errors keep their codes across the thread boundary, the worker cannot get a second
// fingerprint signed, and a pool without live workers leaves the desk signing on its own thread.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../core/c2pa/read.ts';
import type { Desk } from '../core/desk.ts';
import { isCustodyError } from '../core/errors.ts';
import { getRecord } from '../core/store/records.ts';
import { startSignPool, signWorkerCount, type SignPool } from '../core/provenance/sign-pool.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
let pool: SignPool;
let dir: string;

beforeAll(async () => {
  desk = await tempDesk('Daily Planet');
  desk.setHybridPq(desk.bootstrapActor()!, true); // the ML-DSA co-signature is an add-on signed on the desk's thread
  pool = await startSignPool(1);
  dir = tempDir();
}, 60_000);
afterAll(async () => {
  await pool.close();
  desk.close();
});

async function jpeg(name: string, from = 'chelsea.png'): Promise<string> {
  const p = join(dir, name);
  await sharp(photo(from)).jpeg({ quality: 92 }).toFile(p);
  return p;
}

describe('sign workers', () => {
  it('render a photo as the desk thread does: same fingerprint, signature, pHash, layout and watermark; the copy verifies', async () => {
    const input = await jpeg('cat.jpg');
    const now = new Date('2026-12-04T03:00:00.000Z');
    const inline = await desk.sign(input, { actor: desk.bootstrapActor()!, outDir: join(dir, 'inline'), now });
    // The same photo signed twice on purpose, in the same instant: every signed field must come out equal.
    const pooled = await desk.sign(input, { actor: desk.bootstrapActor()!, outDir: join(dir, 'pooled'), now, signPool: pool, again: true });
    for (const k of ['sha256', 'phash', 'payload', 'fingerprint', 'signature', 'width', 'height', 'watermark', 'c2pa'] as const) expect(pooled[k]).toEqual(inline[k]);
    expect(pooled.c2pa).toEqual({ status: 'embedded', pq: true });
    expect(getRecord(desk.store, pooled.recordId)?.details.layout).toBe(getRecord(desk.store, inline.recordId)?.details.layout);
    expect(getRecord(desk.store, pooled.recordId)?.details.layout).toEqual(expect.any(String));
    const m = await readManifest(readFileSync(pooled.output), 'image/jpeg', { trustAnchorsPem: desk.orgRootPem() });
    expect(m).toMatchObject({ valid: true, trusted: true });
    expect(m!.custody).toMatchObject({ recordId: pooled.recordId, original: { sha256: pooled.sha256, phash: pooled.phash }, signature: pooled.signature });
    const v = await desk.verify(pooled.output);
    expect(v.verdict).toBe('authentic');
    expect(v.checks.watermark).toMatchObject({ status: 'pass' });
  }, 60_000);

  it('keep an error code across the thread boundary: a truncated JPEG is CORRUPT_MEDIA, not a worker failure', async () => {
    const good = readFileSync(await jpeg('whole.jpg', 'coffee.png'));
    const broken = join(dir, 'broken.jpg');
    writeFileSync(broken, good.subarray(0, Math.floor(good.length / 3)));
    const e = await desk.sign(broken, { actor: desk.bootstrapActor()!, outDir: join(dir, 'broken'), signPool: pool }).catch((x: unknown) => x);
    expect(isCustodyError(e)).toBe(true);
    expect((e as { code: string }).code).toBe('CORRUPT_MEDIA');
    expect(pool.live).toBe(1);
  }, 60_000);

  it('end a render when the key holder refuses: one request, no retry, and the worker serves the next photo', async () => {
    const input = await jpeg('twice.jpg', 'astronaut.png');
    const original = readFileSync(input);
    let asked = 0;
    const host = {
      signFingerprint: () => {
        asked++;
        return Promise.reject(new Error('refused'));
      },
      signClaim: () => Promise.reject(new Error('refused')),
    };
    const e = await pool.render({ original, name: 'twice.jpg', format: 'jpeg', limits: desk.limits, signedAt: new Date().toISOString(), c2pa: null }, host).catch((x: unknown) => x);
    expect(asked).toBe(1);
    expect(String(e)).toMatch(/refused/);
    // the desk's own host refuses a second request for the same photo (sign-image.ts); a real render asks once
    const r = await desk.sign(input, { actor: desk.bootstrapActor()!, outDir: join(dir, 'twice'), signPool: pool });
    expect(r.watermark.status).toBe('embedded');
  }, 60_000);

  it('leave the desk signing on its own thread once no worker runs', async () => {
    const gone = await startSignPool(1);
    await gone.close();
    expect(gone.live).toBe(0);
    const r = await desk.sign(await jpeg('after.jpg', 'rocket.jpg'), { actor: desk.bootstrapActor()!, outDir: join(dir, 'after'), signPool: gone });
    expect((await desk.verify(r.output)).verdict).toBe('authentic');
  }, 60_000);

  it('size: none for one file at a time, the concurrency up to the cores, CUSTODY_SIGN_WORKERS first', () => {
    expect(signWorkerCount(1, {})).toBe(0);
    expect(signWorkerCount(2, {})).toBeGreaterThanOrEqual(1);
    expect(signWorkerCount(2, { CUSTODY_SIGN_WORKERS: '0' })).toBe(0);
    expect(signWorkerCount(1, { CUSTODY_SIGN_WORKERS: '3' })).toBe(3);
    expect(() => signWorkerCount(2, { CUSTODY_SIGN_WORKERS: 'many' })).toThrow(/CUSTODY_SIGN_WORKERS/);
  });
});
