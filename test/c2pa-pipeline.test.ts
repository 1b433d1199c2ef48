// Content Credentials on every signed file, end to end through the desk: written by `sign`, read back by
// c2pa-wasm's reader, and judged by `verify`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { C2paMime } from '../core/c2pa/manifest.ts';
import { createOrgPki } from '../core/c2pa/pki.ts';
import { readManifest } from '../core/c2pa/read.ts';
import type { Desk } from '../core/desk.ts';
import { flipContentByte } from './fixtures/c2pa.ts';
import { photo } from './fixtures/photos.ts';
import { freshDesk, runCli, tempDir } from './helpers/cli.ts';
import { approveAndPublish, tempDesk } from './helpers/desk.ts';

let desk: Desk;
let other: Desk;
let dir: string;

beforeAll(async () => {
  desk = await tempDesk('Daily Planet');
  other = await tempDesk('Other Paper');
  dir = tempDir();
});
afterAll(() => {
  desk.close();
  other.close();
});

async function source(name: string, fmt: 'jpeg' | 'png' | 'webp' | 'tiff', from = 'chelsea.png'): Promise<string> {
  const p = join(dir, name);
  const s = sharp(photo(from));
  await (fmt === 'jpeg' ? s.jpeg({ quality: 92 }) : fmt === 'png' ? s.png() : fmt === 'webp' ? s.webp({ quality: 90 }) : s.tiff()).toFile(p);
  return p;
}

describe('manifest on every signed image', () => {
  it.each([
    ['jpeg', 'image/jpeg'],
    ['png', 'image/png'],
    ['webp', 'image/webp'],
  ] as const)('%s: actions, the Custody assertion and the soft binding read back, valid and trusted', async (fmt, mime) => {
    const r = await desk.sign(await source(`cat.${fmt}`, fmt), { actor: desk.bootstrapActor()! });
    expect(r.c2pa).toEqual({ status: 'embedded', pq: false });
    const bytes = readFileSync(r.output);
    const m = await readManifest(bytes, mime as C2paMime, { trustAnchorsPem: desk.orgRootPem() });
    expect(m).not.toBeNull();
    expect(m!.valid).toBe(true);
    expect(m!.trusted).toBe(true);
    // Nothing says where these pixels came from: the desk opens the original (an ingredient of unknown provenance)
    // instead of guessing a digital source type, and says it bound a watermark.
    expect(m!.actions.map((a) => a.action)).toEqual(['c2pa.opened', 'c2pa.watermarked.bound']);
    expect(m!.actions[1]).toMatchObject({ softwareAgent: { name: 'Custody', version: expect.stringMatching(/^\d+\.\d+\.\d+/) } });
    expect(m!.actions.some((a) => a.digitalSourceType !== undefined)).toBe(false);
    expect(m!.custody).toMatchObject({ recordId: r.recordId, org: 'Daily Planet', original: { sha256: r.sha256, phash: r.phash }, signedAt: r.signedAt, signer: { alg: 'Ed25519', publicKey: r.publicKey }, signature: r.signature });
    expect(m!.softBinding).toMatchObject({ value: r.payload });
    // The record keeps the original's hash and the final file's (manifest included).
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(r.outputSha256);

    const v = await desk.verify(r.output);
    expect(v.verdict).toBe('authentic');
    expect(v.checks.c2pa).toMatchObject({ status: 'pass', valid: true, trusted: true, custodyRecordId: r.recordId, actions: ['c2pa.opened', 'c2pa.watermarked.bound'] });
    expect(v.checks.c2pa.signer).toMatchObject({ organization: 'Daily Planet' });
  });

  it('digital source type: from a camera in the EXIF, or from the choice made at signing; never guessed', async () => {
    const camera = join(dir, 'camera.jpg');
    await sharp(photo('coffee.png')).jpeg().withExif({ IFD0: { Make: 'Canon', Model: 'Canon EOS R5' } }).toFile(camera);
    const fromExif = await readManifest(readFileSync((await desk.sign(camera, { actor: desk.bootstrapActor()! })).output), 'image/jpeg');
    expect(fromExif!.actions[0]).toMatchObject({ action: 'c2pa.created', digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture', softwareAgent: { name: 'Custody' } });
    const chosen = 'http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic';
    const byChoice = await readManifest(readFileSync((await desk.sign(await source('graphic.png', 'png', 'coins.png'), { actor: desk.bootstrapActor()!, digitalSourceType: chosen })).output), 'image/png');
    expect(byChoice!.actions[0]).toMatchObject({ action: 'c2pa.created', digitalSourceType: chosen });
  });

  it('keeps the credentials an original already carries, as its parent', async () => {
    const first = await other.sign(await source('wire.jpg', 'jpeg', 'rocket.jpg'), { actor: other.bootstrapActor()! });
    const r = await desk.sign(first.output, { actor: desk.bootstrapActor()! });
    const m = await readManifest(readFileSync(r.output), 'image/jpeg', { trustAnchorsPem: desk.orgRootPem() });
    expect(m!.valid).toBe(true);
    expect(m!.history.map((h) => h.signer.organization)).toEqual(['Other Paper', 'Daily Planet']);
    expect(m!.actions[0]!.action).toBe('c2pa.opened');
    expect(m!.custody!.recordId).toBe(r.recordId);
  });

  it('TIFF is signed without a manifest, and says why', async () => {
    const r = await desk.sign(await source('cat.tif', 'tiff'), { actor: desk.bootstrapActor()! });
    expect(r.c2pa).toEqual({ status: 'skipped', reason: 'FORMAT_NOT_SUPPORTED_BY_C2PA', pq: false });
    expect((await desk.verify(r.output)).checks.c2pa.status).toBe('skipped');
  });
});

describe('verify judges the manifest', () => {
  it('a changed byte in the pixel data: Invalid, verdict tampered', async () => {
    const r = await desk.sign(await source('tamper.jpg', 'jpeg', 'coffee.png'), { actor: desk.bootstrapActor()! });
    const changed = join(dir, 'tampered.jpg');
    writeFileSync(changed, flipContentByte(readFileSync(r.output), 'image/jpeg'));
    const v = await desk.verify(changed);
    expect(v.checks.c2pa.status).toBe('fail');
    expect(v.checks.c2pa.valid).toBe(false);
    expect(v.checks.c2pa.validationCodes).toContain('assertion.dataHash.mismatch');
    expect(v.verdict).toBe('tampered');
  });

  it('a file without a manifest: absent', async () => {
    const v = await desk.verify(photo('rocket.jpg'));
    expect(v.checks.c2pa).toMatchObject({ status: 'absent' });
  });

  it('another org’s root is not trusted until it is added to the trust list', async () => {
    const r = await desk.sign(await source('trust.png', 'png', 'astronaut.png'), { actor: desk.bootstrapActor()! });
    const before = await other.verify(r.output);
    expect(before.checks.c2pa).toMatchObject({ status: 'fail', valid: true, trusted: false });
    expect(before.verdict).not.toBe('tampered');
    other.addTrustAnchors(other.bootstrapActor()!, desk.orgRootPem());
    const after = await other.verify(r.output);
    expect(after.checks.c2pa).toMatchObject({ status: 'pass', valid: true, trusted: true });
  });

  it('hybrid mode: the ML-DSA-65 co-signature is written and checked', async () => {
    desk.setHybridPq(desk.bootstrapActor()!, true);
    try {
      const r = await desk.sign(await source('pq.png', 'png', 'motorcycle_left.png'), { actor: desk.bootstrapActor()! });
      expect(r.c2pa.pq).toBe(true);
      const v = await desk.verify(r.output);
      expect(v.checks.c2pa).toMatchObject({ status: 'pass', pqSignature: 'pass' });
    } finally {
      desk.setHybridPq(desk.bootstrapActor()!, false);
    }
  });
});

describe('custody cert', () => {
  it('exports the root, imports a CA-issued ES256 chain, and verifies with it once its root is trusted', async () => {
    const env = await freshDesk('Wire Service');
    const root = await runCli(['cert', 'export', '--root'], env);
    expect(root.stdout).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);

    const ca = await createOrgPki({ org: 'Agency CA', algorithm: 'es256' });
    const chain = join(dir, 'chain.pem');
    const key = join(dir, 'key.pem');
    writeFileSync(chain, ca.signingCertPem);
    writeFileSync(key, `-----BEGIN PRIVATE KEY-----\n${Buffer.from(ca.signingKeyPkcs8).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`);
    const imp = await runCli(['cert', 'import', '--chain', chain, '--key', key, '--json'], env);
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout).issuer).toMatch(/Agency CA/);

    const src = await source('es256.jpg', 'jpeg', 'hubble_deep_field.jpg');
    const signed = JSON.parse((await runCli(['sign', src, '--out', join(dir, 'es'), '--json'], env)).stdout)[0] as { output: string };
    const untrusted = JSON.parse((await runCli(['verify', signed.output, '--json'], env)).stdout);
    expect(untrusted.checks.c2pa).toMatchObject({ status: 'fail', trusted: false, signer: { algorithm: 'es256' } });
    const anchor = join(dir, 'agency-root.pem');
    writeFileSync(anchor, ca.rootCertPem);
    expect((await runCli(['cert', 'trust', anchor], env)).code).toBe(0);
    const trusted = JSON.parse((await runCli(['verify', signed.output, '--json'], env)).stdout);
    expect(trusted.checks.c2pa).toMatchObject({ status: 'pass', trusted: true });
    expect(trusted.verdict).toBe('authentic');

    const wrongKey = await runCli(['cert', 'import', '--chain', chain, '--key', join(dir, 'nope.pem')], env);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toMatch(/^error NOT_FOUND: /);
  });
});

describe('publishing after approval', () => {
  it('adds c2pa.published in a manifest over the signed output whose Custody assertion records the approvals', async () => {
    // The picture the tamper test signed, signed again as a record of its own to publish.
    const r = await desk.sign(await source('publish.jpg', 'jpeg', 'coffee.png'), { actor: desk.bootstrapActor()!, again: true });
    const { receipt } = await approveAndPublish(desk, r.recordId, join(dir, 'published'));

    const m = await readManifest(readFileSync(receipt.output), 'image/jpeg', { trustAnchorsPem: desk.orgRootPem() });
    // A standard manifest with its own hard binding, the signed output's manifest as its parent ingredient.
    expect(m).toMatchObject({ valid: true, trusted: true, isUpdateManifest: false, validationCodes: [] });
    expect(m!.actions.map((a) => a.action)).toEqual(['c2pa.opened', 'c2pa.published']);
    expect(m!.actions[1]).toMatchObject({ when: receipt.publishedAt, softwareAgent: { name: 'Custody' } });
    expect(m!.custody!.recordId).toBe(r.recordId);
    expect(m!.custody!.approvals!.map((a) => [a.stage, a.by])).toEqual([['desk', 'cy'], ['chief', 'cy']]);
    expect(m!.history).toHaveLength(2);

    // The published file is the same picture: the desk traces it to the item, with valid credentials.
    const v = await desk.verify(receipt.output);
    expect(v.recordId).toBe(r.recordId);
    expect(v.checks.c2pa).toMatchObject({ status: 'pass', actions: ['c2pa.opened', 'c2pa.published'] });
    // Not the record's bytes, but the organisation's signed publication statement covers these exact bytes.
    expect(v.checks.signature).toMatchObject({ status: 'pass', binds: 'publication' });
    expect(v.verdict).toBe('published');
  });
});
