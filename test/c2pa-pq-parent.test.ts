// An ML-DSA-65 co-signature speaks for its own claim only (docs/pq-cosignature.md, "Edits of a Custody file"). A
// forger who holds a classical key the desk trusts (the org's, or any chaining to a configured anchor) signs a
// picture with a caption of their own and no co-signature, and takes a genuine hybrid-signed Custody file in as its
// parentOf ingredient. Before, the parent's co-signature was checked and reported as the active claim's (`pass`),
// the forged caption came out as signed credentials, and the file was traced to the genuine record by the
// parent's assertion.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { embedManifest } from '../core/c2pa/embed.ts';
import { withoutManifestStore } from '../core/c2pa/jumbf.ts';
import { DIGITAL_CAPTURE } from '../core/c2pa/manifest.ts';
import { generateMlDsaKeyPair, mlDsaCoSigner, pqDeclaration } from '../core/c2pa/mldsa.ts';
import { createSigner, type C2paSigner } from '../core/c2pa/signer.ts';
import type { Desk } from '../core/desk.ts';
import { c2paCheck } from '../core/provenance/verify-common.ts';
import { custodyAssertion, deskKey, imageSamples, orgPki, type Samples } from './fixtures/c2pa.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

const FORGED = { headline: 'FORGED HEADLINE', caption: 'words the organisation never signed' };
const GENUINE = { headline: 'Launch at dawn', caption: 'The rocket leaves the pad at 06:12.' };

/** The forger's classical key: a signing certificate of an Acme News root that the desks here trust. */
async function forgerKey(): Promise<{ signer: C2paSigner; rootPem: string }> {
  const pki = await orgPki('ed25519');
  return { signer: await createSigner({ chainPem: pki.signingCertPem, keyPkcs8: pki.signingKeyPkcs8 }), rootPem: pki.rootCertPem };
}

/** A desk of Acme News that trusts a second Acme News root: the forger holds that root's signing key. */
async function deskTrusting(rootPem: string, hybrid: boolean): Promise<Desk> {
  const desk = await tempDesk('Acme News');
  const admin = desk.bootstrapActor()!;
  desk.addTrustAnchors(admin, rootPem);
  if (hybrid) desk.setHybridPq(admin, true);
  return desk;
}

describe('a classical-only edit whose parent is a genuine hybrid-signed Custody file', () => {
  const dir = tempDir('custody-pq-parent-');
  let desk: Desk;
  let forger: C2paSigner;
  let rootPem: string;
  let genuine: { path: string; recordId: string; bytes: Uint8Array };

  beforeAll(async () => {
    ({ signer: forger, rootPem } = await forgerKey());
    desk = await deskTrusting(rootPem, true);
    const input = join(dir, 'rocket.jpg');
    await sharp(photo('rocket.jpg')).resize(640).jpeg({ quality: 90 }).toFile(input);
    const r = await desk.sign(input, { actor: desk.bootstrapActor()!, outDir: join(dir, 'signed'), metadata: GENUINE });
    genuine = { path: r.output, recordId: r.recordId, bytes: new Uint8Array(readFileSync(r.output)) };
  }, 120_000);
  afterAll(() => desk?.close());

  it('the genuine hybrid file passes, co-signed, with its signed caption', async () => {
    const v = await desk.verify(genuine.path);
    expect(v.verdict).toBe('authentic');
    expect(v.checks.c2pa).toMatchObject({ status: 'pass', trusted: true, pqSignature: 'pass', custodyRecordId: genuine.recordId });
    expect(v.checks.c2pa.custodyIn).toBeUndefined();
    expect(v.metadata).toMatchObject({ fields: GENUINE, source: 'credentials' });
  }, 120_000);

  it('another picture: the co-signature fails, the caption is not signed, and the manifest does not trace it', async () => {
    const other = new Uint8Array(await sharp(photo('chelsea.png')).png().toBuffer());
    const forged = await embedManifest(other, 'image/png', {
      intent: 'edit', parent: { bytes: genuine.bytes, mime: 'image/jpeg', title: 'rocket' }, title: 'cat', metadata: FORGED,
    }, forger, { trustAnchorsPem: rootPem });
    const path = join(dir, 'forged-other.png');
    writeFileSync(path, forged);

    const v = await desk.verify(path);
    expect(v.checks.c2pa).toMatchObject({ status: 'fail', valid: true, trusted: true, pqSignature: 'fail', pqReason: 'PQ_EDIT_NOT_COSIGNED', custodyIn: 'parent', editOf: genuine.recordId });
    expect(v.metadata?.source).not.toBe('credentials');
    expect(v.metadata?.fields).not.toMatchObject(FORGED);
    expect(v.recordId).toBeNull(); // nothing but the parent's assertion ties this picture to the record
    expect(v.verdict).toBe('tampered');
  }, 120_000);

  it('the same picture with a new caption: tampered, and the record\'s own fields are shown', async () => {
    const forged = await embedManifest(withoutManifestStore(genuine.bytes, 'image/jpeg'), 'image/jpeg', {
      intent: 'edit', parent: { bytes: genuine.bytes, mime: 'image/jpeg', title: 'rocket' }, title: 'rocket', metadata: FORGED,
    }, forger, { trustAnchorsPem: rootPem });
    const path = join(dir, 'forged-same.jpg');
    writeFileSync(path, forged);

    const v = await desk.verify(path);
    expect(v.checks.c2pa).toMatchObject({ status: 'fail', trusted: true, pqSignature: 'fail', pqReason: 'PQ_EDIT_NOT_COSIGNED' });
    expect(v.checks.c2pa.pqDetail).not.toMatch(/over this claim$/);
    expect(v.recordId).toBe(genuine.recordId); // traced by its watermark and pHash, as any copy
    expect(v.verdict).not.toMatch(/^(authentic|original|published|derived)$/);
    expect(v.metadata).toEqual({ fields: GENUINE, source: 'record' });
  }, 120_000);
});

describe('c2paCheck on an edit whose parent is a Custody file', () => {
  const orgKeys = generateMlDsaKeyPair();
  let samples: Samples;
  let signer: C2paSigner;
  let rootPem: string;
  let desk: Desk;

  beforeAll(async () => {
    ({ signer, rootPem } = await forgerKey());
    samples = await imageSamples();
    desk = await tempDesk('Acme News'); // its database only: no record of the parent's is in it
  }, 60_000);
  afterAll(() => desk?.close());

  const edit = (parent: Uint8Array) =>
    embedManifest(samples['image/png'], 'image/png', {
      intent: 'edit', parent: { bytes: parent, mime: 'image/jpeg', title: 'rocket' }, title: 'cat', metadata: FORGED,
    }, signer, { trustAnchorsPem: rootPem });

  it('a parent that declares a co-signature: the edit fails, though the parent\'s own co-signature verifies', async () => {
    const custody = { ...(await custodyAssertion(await deskKey())), pq: pqDeclaration(orgKeys) };
    const parent = await embedManifest(samples['image/jpeg'], 'image/jpeg', { title: 'rocket', digitalSourceType: DIGITAL_CAPTURE, custody }, signer, { addOns: [mlDsaCoSigner(orgKeys, custody)] });
    const registered = [{ org: 'Acme News', publicKey: Buffer.from(orgKeys.publicKey).toString('hex') }];
    const ctx = { db: desk.store, trustAnchorsPem: rootPem, pqKeys: registered, tsaAnchorsPem: null };
    expect((await c2paCheck(parent, 'image/jpeg', 'jpeg', ctx)).check).toMatchObject({ status: 'pass', pqSignature: 'pass' });

    const r = await c2paCheck(await edit(parent), 'image/png', 'png', ctx);
    expect(r.check).toMatchObject({ status: 'fail', trusted: true, pqSignature: 'fail', pqReason: 'PQ_EDIT_NOT_COSIGNED', custodyIn: 'parent', editOf: custody.recordId });
    expect(r.recordId).toBeNull();
    // and with no key registered at all, it still fails: the parent itself says the work is hybrid-signed
    expect((await c2paCheck(await edit(parent), 'image/png', 'png', { ...ctx, pqKeys: [] })).check).toMatchObject({ pqSignature: 'fail', pqReason: 'PQ_EDIT_NOT_COSIGNED' });
  }, 120_000);

  it('a classical parent of an org whose ML-DSA key is registered here (a hybrid org): the edit fails', async () => {
    const custody = await custodyAssertion(await deskKey());
    const parent = await embedManifest(samples['image/jpeg'], 'image/jpeg', { title: 'rocket', digitalSourceType: DIGITAL_CAPTURE, custody }, signer);
    const registered = [{ org: custody.org, publicKey: Buffer.from(orgKeys.publicKey).toString('hex') }];
    const ctx = { db: desk.store, trustAnchorsPem: rootPem, pqKeys: registered, tsaAnchorsPem: null };
    const r = await c2paCheck(await edit(parent), 'image/png', 'png', ctx);
    expect(r.check).toMatchObject({ status: 'fail', pqSignature: 'fail', pqReason: 'PQ_EDIT_NOT_COSIGNED' });
  }, 120_000);
});

describe('a desk that is not in hybrid mode', () => {
  const dir = tempDir('custody-pq-parent-classic-');
  let desk: Desk;
  let signer: C2paSigner;
  let rootPem: string;

  beforeAll(async () => {
    ({ signer, rootPem } = await forgerKey());
    desk = await deskTrusting(rootPem, false);
  }, 120_000);
  afterAll(() => desk?.close());

  it('signs and verifies as before, and an edit of its file by a trusted signer is described as an edit, not traced by the parent', async () => {
    const input = join(dir, 'rocket.jpg');
    await sharp(photo('rocket.jpg')).resize(640).jpeg({ quality: 90 }).toFile(input);
    const r = await desk.sign(input, { actor: desk.bootstrapActor()!, outDir: join(dir, 'signed'), metadata: GENUINE });
    const v = await desk.verify(r.output);
    expect(v.verdict).toBe('authentic');
    expect(v.checks.c2pa).toMatchObject({ status: 'pass', trusted: true, pqSignature: 'absent', custodyRecordId: r.recordId });
    expect(v.metadata).toMatchObject({ fields: GENUINE, source: 'credentials' });

    const other = new Uint8Array(await sharp(photo('chelsea.png')).png().toBuffer());
    const edited = await embedManifest(other, 'image/png', {
      intent: 'edit', parent: { bytes: new Uint8Array(readFileSync(r.output)), mime: 'image/jpeg', title: 'rocket' }, title: 'cat', metadata: FORGED,
    }, signer, { trustAnchorsPem: rootPem });
    const path = join(dir, 'edited.png');
    writeFileSync(path, edited);
    const e = await desk.verify(path);
    // valid, trusted credentials of the editor: their own caption is theirs to sign, and nothing else is claimed
    expect(e.checks.c2pa).toMatchObject({ status: 'pass', trusted: true, pqSignature: 'absent', custodyIn: 'parent', editOf: r.recordId });
    expect(e.checks.c2pa.detail).toContain(`from Custody record ${r.recordId}`);
    expect(e.recordId).toBeNull();
    expect(e.verdict).not.toMatch(/^(authentic|original|published)$/);
  }, 120_000);
});
