// Forgeries against `custody verify`, made by an attacker who holds the org's C2PA signing key (what breaking
// Ed25519 gives): a genuine ML-DSA co-signature transplanted onto another photo, a co-signature made with the
// attacker's own ML-DSA key, a co-signature stripped, and a genuine Custody assertion copied onto another photo.
// The desk runs in process (the CLI reads its verdict once, for the reason it prints); the forger uses core's
// embedder with the stolen key.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCoseSign1 } from '../core/c2pa/cose.ts';
import type { CustodyAssertion } from '../core/c2pa/custody-assertion.ts';
import { embedManifest } from '../core/c2pa/embed.ts';
import { DIGITAL_CAPTURE } from '../core/c2pa/manifest.ts';
import { readRawManifests } from '../core/c2pa/jumbf.ts';
import { generateMlDsaKeyPair, mlDsaCoSigner, PQ_HEADER, pqDeclaration } from '../core/c2pa/mldsa.ts';
import { createOrgPki, type OrgPki } from '../core/c2pa/pki.ts';
import { readManifest } from '../core/c2pa/read.ts';
import { createSigner, type C2paSigner, type CoseAddOn } from '../core/c2pa/signer.ts';
import type { Desk } from '../core/desk.ts';
import type { VerifyReport } from '../core/provenance/checks.ts';
import { photo } from './fixtures/photos.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

let desk: Desk;
let dir: string;
let pki: OrgPki;
let stolen: C2paSigner;
let genuine: { output: string; recordId: string };
let genuineCustody: CustodyAssertion;
let genuineCoSignature: Uint8Array;
let otherPhoto: Uint8Array;

const pemKey = (pkcs8: Uint8Array) => `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;

const verify = (file: string): Promise<VerifyReport> => desk.verify(file);

/** Signs `bytes` (a JPEG) with the stolen org key, carrying `custody`, with the given claim-signature headers. */
async function forge(name: string, custody: CustodyAssertion, addOns: CoseAddOn[]): Promise<string> {
  const out = join(dir, name);
  writeFileSync(out, await embedManifest(otherPhoto, 'image/jpeg', { title: name, digitalSourceType: DIGITAL_CAPTURE, custody }, stolen, { addOns }));
  return out;
}

beforeAll(async () => {
  dir = tempDir();
  desk = await tempDesk('Daily Planet');
  // The org signs with a CA-issued chain whose key the test also holds: the stand-in for a broken Ed25519.
  pki = await createOrgPki({ org: 'Daily Planet', algorithm: 'ed25519' });
  await desk.importCertificate(desk.bootstrapActor()!, pki.signingCertPem, pemKey(pki.signingKeyPkcs8));
  desk.addTrustAnchors(desk.bootstrapActor()!, pki.rootCertPem);
  desk.setHybridPq(desk.bootstrapActor()!, true);
  stolen = await createSigner({ chainPem: pki.signingCertPem, keyPkcs8: pki.signingKeyPkcs8 });

  const src = join(dir, 'rocket.jpg');
  await sharp(photo('rocket.jpg')).jpeg({ quality: 90 }).toFile(src);
  genuine = await desk.sign(src, { actor: desk.bootstrapActor()!, outDir: join(dir, 'out') });
  const bytes = readFileSync(genuine.output);
  genuineCustody = (await readManifest(bytes, 'image/jpeg'))!.custody!;
  genuineCoSignature = decodeCoseSign1(readRawManifests(bytes, 'image/jpeg')!.at(-1)!.signature).unprotected.get(PQ_HEADER) as Uint8Array;
  otherPhoto = new Uint8Array(await sharp(photo('coffee.png')).jpeg({ quality: 90 }).toBuffer());
}, 120_000);
afterAll(() => desk?.close());

describe('hybrid mode against a broken Ed25519', () => {
  it('the genuine file passes, with the co-signature checked against the org key', async () => {
    expect(genuineCustody.pq?.publicKey).toMatch(/^[0-9a-f]{3904}$/);
    expect(genuineCoSignature).toHaveLength(3309);
    const report = await verify(genuine.output);
    expect(report.verdict).toBe('authentic');
    expect(report.checks.c2pa).toMatchObject({ status: 'pass', trusted: true, pqSignature: 'pass' });
    expect(report.checks.signature).toMatchObject({ status: 'pass', binds: 'exact-bytes' });
  });

  it('a genuine co-signature transplanted onto another photo: tampered, PQ_SIGNATURE_INVALID', async () => {
    const forged = await forge('transplant.jpg', genuineCustody, [{ reserve: 3400, headers: () => [[PQ_HEADER, genuineCoSignature]] }]);
    const report = await verify(forged);
    expect(report.verdict).toBe('tampered');
    // The C2PA layer alone is fooled: valid, trusted. Only the co-signature tells.
    expect(report.checks.c2pa).toMatchObject({ status: 'fail', valid: true, trusted: true, pqSignature: 'fail', pqReason: 'PQ_SIGNATURE_INVALID' });
    expect(report.checks.signature!.status).not.toBe('pass');
    const human = await runCli(['verify', forged], { CUSTODY_HOME: desk.home });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^tampered/);
    expect(human.stdout).toMatch(/c2pa\s+fail\s+the post-quantum co-signature fails: the ML-DSA-65 co-signature does not cover this claim/);
  });

  it("a co-signature made with the attacker's own ML-DSA key: tampered, PQ_KEY_NOT_REGISTERED", async () => {
    const mallory = generateMlDsaKeyPair();
    const custody = { ...genuineCustody, pq: pqDeclaration(mallory) };
    const forged = await forge('self-keyed.jpg', custody, [mlDsaCoSigner(mallory, custody)]);
    const report = await verify(forged);
    expect(report.verdict).toBe('tampered');
    expect(report.checks.c2pa).toMatchObject({ status: 'fail', valid: true, trusted: true, pqSignature: 'fail', pqReason: 'PQ_KEY_NOT_REGISTERED' });
    expect(String(report.checks.c2pa!.detail)).toMatch(/is not the registered key of Daily Planet/);
  });

  it('the co-signature stripped from a record signed in hybrid mode: tampered, PQ_STRIPPED', async () => {
    const { pq: _dropped, ...custody } = genuineCustody;
    const forged = await forge('stripped.jpg', custody, []);
    const report = await verify(forged);
    expect(report.verdict).toBe('tampered');
    expect(report.checks.c2pa).toMatchObject({ pqSignature: 'fail', pqReason: 'PQ_STRIPPED' });
  });
});

describe('a record signature speaks only for the file it binds', () => {
  it('a genuine assertion copied onto another photo under an untrusted chain: the signature check does not pass', async () => {
    const mallory = await createOrgPki({ org: 'Daily Planet', algorithm: 'ed25519' });
    const signer = await createSigner({ chainPem: mallory.signingCertPem, keyPkcs8: mallory.signingKeyPkcs8 });
    const { pq: _dropped, ...custody } = genuineCustody;
    const out = join(dir, 'copied-assertion.jpg');
    writeFileSync(out, await embedManifest(otherPhoto, 'image/jpeg', { title: 'copied', digitalSourceType: DIGITAL_CAPTURE, custody }, signer));
    const report = await verify(out);
    expect(report.verdict).not.toBe('authentic');
    expect(report.checks.c2pa).toMatchObject({ valid: true, trusted: false, custodyRecordId: genuine.recordId });
    expect(report.checks.signature).toMatchObject({ status: 'absent', reason: 'NOT_BOUND_TO_FILE', recordSignature: 'valid' });
    expect(report.checks.signature!.orgKey).toBeUndefined();
  });

  it('the same copy signed with the stolen, trusted key: still not bound, the picture is not the record’s', async () => {
    const custody = { ...genuineCustody };
    const forged = await forge('copied-trusted.jpg', custody, [{ reserve: 3400, headers: () => [[PQ_HEADER, genuineCoSignature]] }]);
    const report = await verify(forged);
    expect(report.checks.signature).toMatchObject({ status: 'absent', reason: 'NOT_BOUND_TO_FILE' });
  });
});

describe('the org ML-DSA key travels with the org root', () => {
  it('another desk trusts the exported root and key: pass; the root alone: PQ_KEY_NOT_REGISTERED', async () => {
    const exported = desk.orgRootPem();
    expect(exported).toMatch(/-----END CERTIFICATE-----\n-----BEGIN PUBLIC KEY-----/);
    const other = await tempDesk('Other Paper');
    try {
      other.addTrustAnchors(other.bootstrapActor()!, pki.rootCertPem);
      const before = await other.verify(genuine.output);
      expect(before.checks.c2pa).toMatchObject({ trusted: true, pqSignature: 'fail', pqReason: 'PQ_KEY_NOT_REGISTERED' });

      // This desk signs with an imported chain, so the root verifiers need is the CA's; the key rides with it, pinned
      // to the org that root names.
      const key = exported.slice(exported.indexOf('-----BEGIN PUBLIC KEY-----'));
      expect(other.addTrustAnchors(other.bootstrapActor()!, `${pki.rootCertPem}${key}`)).toEqual({ roots: 0, pqKeys: 1, already: 1 });
      const after = await other.verify(genuine.output);
      expect(after.checks.c2pa).toMatchObject({ status: 'pass', pqSignature: 'pass' });

      // A key pinned with another org's root does not speak for Daily Planet.
      const stranger = await createOrgPki({ org: 'Stranger Times', algorithm: 'ed25519' });
      const third = await tempDesk('Third Paper');
      try {
        third.addTrustAnchors(third.bootstrapActor()!, pki.rootCertPem);
        third.addTrustAnchors(third.bootstrapActor()!, `${stranger.rootCertPem}${key}`);
        expect((await third.verify(genuine.output)).checks.c2pa).toMatchObject({ pqSignature: 'fail', pqReason: 'PQ_KEY_OF_ANOTHER_ORG' });
      } finally {
        third.close();
      }
    } finally {
      other.close();
    }
  });
});
