// Issue 21 §1: a local edit is `tampered` and shows where; a global transform (re-encode, resize, crop, colour) is
// `derived` with no region. Through the real `custody` command on a real photograph, as the issue reported it: a
// 160×160 black box over the astronaut's face was `derived`, exactly like a crop.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyEdit, iou, type Edit } from '../bench/tamper-edits.ts';
import { attack, loadRaster, type Attack } from '../bench/watermark-attacks.ts';
import { validateCustodyAssertion, parseCustodyAssertion } from '../core/c2pa/custody-assertion.ts';
import { decodeLayout, encodeLayout, layoutFromLuma } from '../core/media/layout.ts';
import { lumaToGrid } from '../core/media/watermark/resample.ts';
import type { Raster } from '../core/media/watermark/codec.ts';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import { Desk } from '../core/desk.ts';
import type { VerifyReport } from '../core/provenance/checks.ts';
import { photo } from './fixtures/photos.ts';
import { freshDesk, runCli, tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

interface Report {
  verdict: string;
  recordId: string | null;
  checks: Record<string, { status: string; detail: string; reason?: string }>;
  regions?: { x: number; y: number; w: number; h: number; kind: string }[];
  footprint?: { x: number; y: number; w: number; h: number };
}

let env: Record<string, string>;
let work: string;
let signed: string;
let signedRaster: Raster;

beforeAll(async () => {
  env = await freshDesk();
  work = tempDir();
  const src = join(work, 'astronaut.png');
  await sharp(photo('astronaut.png')).toFile(src);
  const r = await runCli(['sign', src, '--json'], env);
  expect(r.code).toBe(0);
  signed = (JSON.parse(r.stdout) as { output: string }[])[0]!.output;
  signedRaster = await loadRaster(signed);
}, 60_000);

async function verify(file: string): Promise<{ code: number; report: Report }> {
  const r = await runCli(['verify', file, '--json'], env);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

const save = async (r: Raster, name: string, as: 'jpeg' | 'png' = 'png'): Promise<string> => {
  const s = sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels as 3 } });
  const file = join(work, name);
  writeFileSync(file, await (as === 'jpeg' ? s.jpeg({ quality: 90 }) : s.png()).toBuffer());
  return file;
};

describe('the reported case: a black box over the face, and a crop', () => {
  it('a 160×160 black box is tampered, exit 1, with the box found in the original’s coordinates', async () => {
    const box = { x: 180, y: 60, w: 160, h: 160 };
    const file = join(work, 'box.jpg');
    await sharp(signed).composite([{ input: { create: { width: box.w, height: box.h, channels: 3, background: '#000' } }, left: box.x, top: box.y }]).jpeg({ quality: 90 }).toFile(file);
    const { code, report } = await verify(file);
    expect(report.verdict).toBe('tampered');
    expect(code).toBe(1);
    expect(report.checks.layout?.status).toBe('fail');
    expect(report.regions).toHaveLength(1);
    expect(iou(report.regions![0]!, box)).toBeGreaterThanOrEqual(0.6);
  }, 30_000);

  it('a 10 % crop is derived, exit 0, with no region, and says how much of the picture it shows', async () => {
    const file = await save(await attack(signedRaster, 'crop10'), 'crop10.png');
    const { code, report } = await verify(file);
    expect(report.verdict).toBe('derived');
    expect(code).toBe(0);
    expect(report.regions).toEqual([]);
    expect(report.checks.layout?.status).toBe('pass');
    expect(report.checks.layout?.detail).toMatch(/shows 9\d % of the signed picture/);
    // the footprint: a central crop keeping 90 % of the area, 13 px off each side of 512
    expect(Math.abs(report.footprint!.x - 13)).toBeLessThanOrEqual(3);
    expect(Math.abs(report.footprint!.w - 486)).toBeLessThanOrEqual(4);
  }, 30_000);
});

// In-process (the same desk.verify the command calls), so that the table costs no process per copy.
describe('each kind of local edit is tampered and found; each benign transform is not', () => {
  let desk: Desk;
  let signedCamera: Raster;
  beforeAll(async () => {
    desk = await tempDesk();
    await desk.unlock(new PassphraseProtector('test passphrase'));
    const src = join(work, 'camera.png');
    await sharp(photo('camera.png')).toFile(src);
    signedCamera = await loadRaster((await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: work })).output);
    return () => desk.close();
  }, 60_000);
  const check = async (r: Raster, name: string, as: 'jpeg' | 'png'): Promise<VerifyReport> => desk.verify(await save(r, name, as));

  it.each<[Edit]>([['box'], ['clone'], ['patch'], ['text'], ['blur'], ['inpaint']])('%s over 3 per cent of the picture', async (edit) => {
    const ed = await applyEdit(signedCamera, edit, 0.03, 4242, await loadRaster(photo('coffee.png')));
    const report = await check(ed.raster, `cam-${edit}.jpg`, 'jpeg');
    expect(report.verdict).toBe('tampered');
    expect(Math.max(...report.regions!.map((g) => iou(g, ed.rect)))).toBeGreaterThanOrEqual(0.5);
  }, 30_000);

  it.each<[Attack]>([['jpeg50'], ['webp75'], ['resize50'], ['screenshot'], ['crop10'], ['brightness20'], ['contrast20'], ['noise5'], ['blur1']])('%s', async (a) => {
    const report = await check(await attack(signedCamera, a), `cam-${a}.png`, 'png');
    expect(report.verdict).toBe('derived');
    expect(report.regions).toEqual([]);
  }, 30_000);

  it.each([[2], [-3.5]])('a copy turned by %s° is laid over the signed picture turned back: derived, nothing changed', async (deg) => {
    const turned = await rotate(signedCamera, deg);
    const report = await check(turned, `cam-turn${deg}.png`, 'png');
    expect(report.verdict).toBe('derived');
    expect(report.regions).toEqual([]);
    expect(report.checks.layout).toMatchObject({ status: 'pass', rotation: expect.closeTo(deg, 0) });
    expect(report.checks.layout!.detail).toMatch(new RegExp(`turned ${Math.abs(deg)}° ${deg > 0 ? 'clockwise' : 'anticlockwise'}`));
  }, 60_000);

  it('a box on a turned copy is still tampered, found where it is in the original', async () => {
    const ed = await applyEdit(signedCamera, 'box', 0.03, 4242, signedCamera);
    const report = await check(await rotate(ed.raster, 2), 'cam-box-turn2.jpg', 'jpeg');
    expect(report.verdict).toBe('tampered');
    expect(Math.max(...report.regions!.map((g) => iou(g, ed.rect)))).toBeGreaterThanOrEqual(0.5);
  }, 60_000);
});

/** Turned by `deg` (clockwise) about the centre, then cut back to the picture's size, as bench:tamper's rotate2 does. */
async function rotate(r: Raster, deg: number): Promise<Raster> {
  const big = await sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels as 3 } }).rotate(deg, { background: { r: 0, g: 0, b: 0, alpha: 1 } }).raw().toBuffer({ resolveWithObject: true });
  const out = await sharp(big.data, { raw: { width: big.info.width, height: big.info.height, channels: big.info.channels } })
    .extract({ left: Math.floor((big.info.width - r.width) / 2), top: Math.floor((big.info.height - r.height) / 2), width: r.width, height: r.height })
    .raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length), width: out.info.width, height: out.info.height, channels: out.info.channels };
}

describe('the layout and the assertion that carries it', () => {
  it('round-trips, and refuses what is not a layout', async () => {
    const r = await loadRaster(photo('camera.png'));
    const l = layoutFromLuma(lumaToGrid(r, 512, 512), 512, 512, r.width, r.height);
    expect([l.width, l.height]).toEqual([128, 128]);
    const text = encodeLayout(l);
    expect(text.length).toBeLessThan(24_000);
    expect(decodeLayout(text)).toEqual(l);
    for (const bad of ['', 'L1:128x128:', 'L1:999x1:AAAA', 'L2:1x1:AA==', `L1:2x2:${Buffer.from('nope').toString('base64')}`]) {
      expect(() => decodeLayout(bad)).toThrow(/expected a picture layout/);
    }
  });

  const base = {
    version: 1 as const, recordId: 'rec_1', org: 'Org', original: { sha256: 'a'.repeat(64), phash: 'b'.repeat(16) },
    signedAt: '2026-01-01T00:00:00.000Z', signer: { alg: 'Ed25519' as const, publicKey: 'c'.repeat(64) },
  };
  it('an assertion without a layout (written before) still validates and parses; a malformed one is refused', () => {
    expect(validateCustodyAssertion(base)).toEqual(base);
    expect(parseCustodyAssertion(base).assertion).toEqual(base);
    expect(() => validateCustodyAssertion({ ...base, layout: 'not a layout' })).toThrow(/layout/);
  });

  it('a record signed before layouts were kept verifies as before: the layout check is skipped, not failed', async () => {
    // A record from before layouts were kept: signed at an earlier instant (covered by its signature), with no layout.
    const desk = Desk.open(env.CUSTODY_HOME!);
    let output: string;
    try {
      await desk.unlock(new PassphraseProtector(env.CUSTODY_PASSPHRASE!));
      const src = join(work, 'older.png');
      await sharp(photo('astronaut.png')).toFile(src);
      // The photo the first test signed, signed again as a record of its own.
      const receipt = await desk.sign(src, { actor: desk.bootstrapActor()!, now: new Date('2026-11-01T09:00:00.000Z'), again: true });
      output = receipt.output;
      desk.store.raw.prepare(`UPDATE records SET details = json_remove(details, '$.layout', '$.layoutSignature') WHERE id = ?`).run(receipt.recordId);
    } finally {
      desk.close();
    }
    const { code, report } = await verify(await save(await attack(await loadRaster(output), 'jpeg75'), 'old.png'));
    expect(report.verdict).toBe('derived');
    expect(code).toBe(0);
    expect(report.checks.layout).toMatchObject({ status: 'skipped', reason: 'NO_LAYOUT' });
  }, 30_000);
});
