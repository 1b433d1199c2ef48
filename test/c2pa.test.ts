// Content Credentials end to end: embed with c2pa-wasm, read back and validate with c2pa-wasm's reader.
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { C2PA_ALGORITHMS, KEY_PARAMS, SIGN_PARAMS } from '../core/c2pa/algorithms.ts';
import { decodeCoseSign1 } from '../core/c2pa/cose.ts';
import type { CustodyAssertion } from '../core/c2pa/custody-assertion.ts';
import { embedManifest } from '../core/c2pa/embed.ts';
import { CUSTODY_WATERMARK_ALG, DIGITAL_CAPTURE, type C2paMime, type ManifestInput } from '../core/c2pa/manifest.ts';
import { detectC2paMime } from '../core/c2pa/media.ts';
import { readRawManifests } from '../core/c2pa/jumbf.ts';
import { checkPqCoSignature, generateMlDsaKeyPair, mlDsaCoSigner, pqDeclaration, type MlDsaKeyPair } from '../core/c2pa/mldsa.ts';
import { issueSigningCertificate } from '../core/c2pa/pki.ts';
import { importSigningChain } from '../core/c2pa/profile.ts';
import { hasManifest, readManifest } from '../core/c2pa/read.ts';
import { createExternalSigner, createSigner, type C2paSigner } from '../core/c2pa/signer.ts';
import { subtle, x509 } from '../core/c2pa/x509.ts';
import { isCustodyError } from '../core/errors.ts';
import { custodyAssertion, deskKey, flipContentByte, imageSamples, orgPki, tinyMp4, type Samples } from './fixtures/c2pa.ts';

const IMAGE_MIMES = ['image/jpeg', 'image/png', 'image/webp'] as const;
const PAYLOAD = '5f3c9a0e7d21b4c86e0f1a2b3c4d5e6f';

let samples: Samples;
let custody: CustodyAssertion;
let pqKeys: MlDsaKeyPair;
const signers = new Map<string, C2paSigner>();

beforeAll(async () => {
  samples = await imageSamples();
  const base = await custodyAssertion(await deskKey(), {
    approvals: [{ stage: 'desk', role: 'desk-chief', by: 'u_4821', decision: 'approved', at: '2025-03-14T10:02:11.000Z' }],
  });
  pqKeys = generateMlDsaKeyPair();
  custody = { ...base, pq: pqDeclaration(pqKeys) };
  for (const alg of C2PA_ALGORITHMS) {
    const pki = await orgPki(alg);
    signers.set(alg, await createSigner({ chainPem: pki.signingCertPem, keyPkcs8: pki.signingKeyPkcs8 }));
  }
});

const signerFor = (alg: string) => signers.get(alg) as C2paSigner;

function input(over: Partial<ManifestInput> = {}): ManifestInput {
  return {
    title: 'IMG_2041.jpg',
    generator: { name: 'Custody', version: '0.1.0' },
    createdAt: '2025-03-14T09:26:53.589Z',
    digitalSourceType: DIGITAL_CAPTURE,
    actions: [{ action: 'c2pa.watermarked.bound', softwareAgent: { name: 'Custody', version: '0.1.0' } }],
    custody,
    softBinding: { payloadHex: PAYLOAD },
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe.each(C2PA_ALGORITHMS)('round trip (%s)', (alg) => {
  it.each(IMAGE_MIMES)('%s: embeds, reads back valid and trusted, pixels unchanged', async (mime) => {
    const original = samples[mime];
    const signed = await embedManifest(original, mime, input(), signerFor(alg), { addOns: [mlDsaCoSigner(pqKeys, custody)] });
    expect(signed.length).toBeGreaterThan(original.length);
    expect(detectC2paMime(signed)).toBe(mime);
    expect(await hasManifest(signed, mime)).toBe(true);

    const pki = await orgPki(alg);
    const r = await readManifest(signed, mime, { trustAnchorsPem: pki.rootCertPem });
    expect(r).not.toBeNull();
    if (!r) return;
    expect(r.validationCodes).toEqual([]);
    expect(r).toMatchObject({ valid: true, trusted: true, validationState: 'Trusted', error: null, isUpdateManifest: false });
    expect(r.signer).toMatchObject({
      commonName: 'Acme News Content Credentials',
      organization: 'Acme News',
      issuer: 'Acme News Root CA',
      algorithm: alg,
    });
    expect(r.title).toBe('IMG_2041.jpg');
    expect(r.claimGenerator).toBe('Custody 0.1.0');
    expect(r.actions).toEqual([
      { action: 'c2pa.created', digitalSourceType: DIGITAL_CAPTURE, when: '2025-03-14T09:26:53.589Z', softwareAgent: { name: 'Custody', version: '0.1.0' } },
      { action: 'c2pa.watermarked.bound', softwareAgent: { name: 'Custody', version: '0.1.0' } },
    ]);
    expect(r.custody).toEqual(custody);
    expect(r.custodyProblem).toBeNull();
    const registered = [{ org: 'Acme News', publicKey: custody.pq!.publicKey }];
    expect(checkPqCoSignature(readRawManifests(signed, mime)!.at(-1)!, r.custody, registered)).toMatchObject({ status: 'pass' });
    expect(r.softBinding).toEqual({ alg: CUSTODY_WATERMARK_ALG, value: PAYLOAD, name: null, manifestLabel: r.manifestLabel });

    // The manifest rides in metadata: decoded pixels are identical.
    const [a, b] = await Promise.all([sharp(original).raw().toBuffer(), sharp(signed).raw().toBuffer()]);
    expect(b.equals(a)).toBe(true);
  });
});

describe('trust', () => {
  it('a different org root as anchor, or none: valid but not trusted', async () => {
    const signed = await embedManifest(samples['image/png'], 'image/png', input(), signerFor('es256'));
    const stranger = await orgPki('es256', 'Other Org');
    for (const trustAnchorsPem of [stranger.rootCertPem, undefined]) {
      const r = await readManifest(signed, 'image/png', trustAnchorsPem ? { trustAnchorsPem } : {});
      expect(r).toMatchObject({ valid: true, trusted: false, validationState: 'Valid' });
      expect(r?.validationCodes).toEqual(['signingCredential.untrusted']);
    }
    // Ours second, and glued to the previous END line as concatenated files without final newlines are.
    const both = stranger.rootCertPem.trimEnd() + (await orgPki('es256')).rootCertPem.trimEnd();
    expect((await readManifest(signed, 'image/png', { trustAnchorsPem: both }))?.trusted).toBe(true);
    const e = await rejection(readManifest(signed, 'image/png', { trustAnchorsPem: 'not a certificate' }));
    expect(isCustodyError(e, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('a key that is not the certificate’s: c2pa-rs checks after signing and the embed fails', async () => {
    const pki = await orgPki('ed25519');
    const wrongKey = createPrivateKey({ key: Buffer.from((await orgPki('ed25519', 'Other Org')).signingKeyPkcs8), format: 'der', type: 'pkcs8' });
    const mismatched = await createExternalSigner({ chainPem: pki.signingCertPem, sign: (m) => new Uint8Array(nodeSign(null, m, wrongKey)) });
    const e = await rejection(embedManifest(samples['image/jpeg'], 'image/jpeg', input(), mismatched));
    expect(isCustodyError(e, 'INVALID_ARGUMENT')).toBe(true);
    expect((e as Error).message).toMatch(/got claimSignature\.mismatch \(is the signing key the certificate's\?\)/);
  });
});

describe('a CA-issued chain through an intermediate', () => {
  it('imports, signs with both certificates in x5chain, and is trusted by the root alone', async () => {
    const ca = await orgPki('es256', 'Example Trust Services');
    const rootKey = await subtle.importKey('pkcs8', new Uint8Array(ca.rootKeyPkcs8), KEY_PARAMS.es256, false, ['sign']);
    const root = new x509.X509Certificate(ca.rootCertPem);
    const keys = (await subtle.generateKey(KEY_PARAMS.es256, true, ['sign', 'verify'])) as CryptoKeyPair;
    const intermediate = await x509.X509CertificateGenerator.create({
      subject: [{ CN: ['Example Issuing CA'] }, { O: ['Example Trust Services'] }],
      issuer: root.subjectName,
      publicKey: keys.publicKey,
      signingKey: rootKey,
      signingAlgorithm: SIGN_PARAMS.es256,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(root.publicKey),
      ],
    });
    const intermediatePem = `${intermediate.toString('pem')}\n`;
    const leaf = await issueSigningCertificate({
      org: 'Acme News',
      issuerCertPem: intermediatePem,
      issuerKeyPkcs8: new Uint8Array(await subtle.exportKey('pkcs8', keys.privateKey)),
    });
    const creds = await importSigningChain({ chainPem: leaf.signingCertPem + intermediatePem + ca.rootCertPem, key: leaf.signingKeyPkcs8 });
    expect(creds.root?.subject.commonName).toBe('Example Trust Services Root CA');
    const signer = await createSigner({ chainPem: creds.chainPem, keyPkcs8: creds.keyPkcs8 });
    expect(decodeCoseSign1(await signer.signClaim(new Uint8Array([1, 2, 3]))).chainDer).toHaveLength(2);

    const signed = await embedManifest(samples['image/png'], 'image/png', input(), signer);
    const r = await readManifest(signed, 'image/png', { trustAnchorsPem: ca.rootCertPem });
    expect(r).toMatchObject({ valid: true, trusted: true, validationCodes: [] });
    expect(r?.signer).toMatchObject({ organization: 'Acme News', issuer: 'Example Issuing CA', issuerOrganization: 'Example Trust Services' });
  });
});

describe('tampering', () => {
  it.each(IMAGE_MIMES)('%s: one changed byte of coded pixels → invalid, assertion.dataHash.mismatch', async (mime) => {
    const pki = await orgPki('ed25519');
    const signed = await embedManifest(samples[mime], mime, input(), signerFor('ed25519'));
    const r = await readManifest(flipContentByte(signed, mime), mime, { trustAnchorsPem: pki.rootCertPem });
    expect(r).toMatchObject({ valid: false, trusted: false, validationState: 'Invalid' });
    expect(r?.validationCodes).toContain('assertion.dataHash.mismatch');
    // The credentials themselves are still readable: the verdict can say "tampered", not "unknown".
    expect(r?.custody?.recordId).toBe(custody.recordId);
  });

  it('a changed byte inside an assertion → invalid, assertion.hashedURI.mismatch', async () => {
    const signed = await embedManifest(samples['image/png'], 'image/png', input(), signerFor('ed25519'));
    const at = Buffer.from(signed).indexOf(Buffer.from(PAYLOAD));
    expect(at).toBeGreaterThan(0);
    const forged = new Uint8Array(signed);
    forged[at] = '6'.charCodeAt(0); // 5f3c… → 6f3c…: a different watermark payload
    const r = await readManifest(forged, 'image/png', { trustAnchorsPem: (await orgPki('ed25519')).rootCertPem });
    expect(r?.valid).toBe(false);
    expect(r?.validationCodes).toContain('assertion.hashedURI.mismatch');
  });

  it('a damaged manifest store → a report with valid false, not an exception', async () => {
    const signed = await embedManifest(samples['image/png'], 'image/png', input(), signerFor('ed25519'));
    const at = Buffer.from(signed).indexOf(Buffer.from('jumb'));
    expect(at).toBeGreaterThan(0);
    const broken = new Uint8Array(signed);
    broken.fill(0x41, at + 16, at + 48);
    const r = await readManifest(broken, 'image/png');
    expect(r).not.toBeNull();
    expect(r).toMatchObject({ valid: false, trusted: false, validationCodes: ['claim.malformed'] });
    expect(r?.error).toMatch(/^C2pa\(/);
  });
});

describe('files without credentials', () => {
  it.each(IMAGE_MIMES)('%s without a manifest → null', async (mime) => {
    expect(await readManifest(samples[mime], mime)).toBeNull();
    expect(await hasManifest(samples[mime], mime)).toBe(false);
  });

  it('refuses a MIME type it cannot credential, and bytes that are not the stated type', async () => {
    const gif = new Uint8Array(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'));
    const e1 = await rejection(readManifest(gif, 'image/gif' as C2paMime));
    expect(isCustodyError(e1, 'UNSUPPORTED_FORMAT')).toBe(true);
    const e2 = await rejection(embedManifest(samples['image/jpeg'], 'image/png', input(), signerFor('ed25519')));
    expect(isCustodyError(e2, 'INVALID_ARGUMENT')).toBe(true);
    expect((e2 as Error).message).toBe('expected image/png bytes, got jpeg data');
  });

  it('a PNG cut short → CORRUPT_MEDIA', async () => {
    const cut = samples['image/png'].subarray(0, 40);
    const e = await rejection(embedManifest(cut, 'image/png', input(), signerFor('ed25519')));
    expect(isCustodyError(e, 'CORRUPT_MEDIA')).toBe(true);
  });
});

describe('publication (update manifest)', () => {
  it('adds c2pa.published over the signed file; the Custody assertion is found in the parent', async () => {
    const pki = await orgPki('es256');
    const signed = await embedManifest(samples['image/jpeg'], 'image/jpeg', input(), signerFor('es256'));
    const published = await embedManifest(
      signed,
      'image/jpeg',
      { intent: 'update', actions: [{ action: 'c2pa.published', when: '2025-03-15T06:00:00.000Z' }] },
      signerFor('es256'),
    );
    const r = await readManifest(published, 'image/jpeg', { trustAnchorsPem: pki.rootCertPem });
    expect(r).toMatchObject({ valid: true, trusted: true, isUpdateManifest: true });
    expect(r?.actions.map((a) => a.action)).toEqual(['c2pa.opened', 'c2pa.published']);
    expect(r?.history.map((h) => h.actions.map((a) => a.action))).toEqual([
      ['c2pa.created', 'c2pa.watermarked.bound'],
      ['c2pa.opened', 'c2pa.published'],
    ]);
    expect(r?.custody).toEqual(custody);
    expect(r?.softBinding?.value).toBe(PAYLOAD);
    expect(r?.softBinding?.manifestLabel).not.toBe(r?.manifestLabel);

    const tampered = await readManifest(flipContentByte(published, 'image/jpeg'), 'image/jpeg', { trustAnchorsPem: pki.rootCertPem });
    expect(tampered?.valid).toBe(false);
    expect(tampered?.validationCodes).toContain('assertion.dataHash.mismatch');
  });
});

describe('media that already carries credentials', () => {
  it('intent create refuses it rather than drop the manifest; update refuses media without one', async () => {
    const signed = await embedManifest(samples['image/webp'], 'image/webp', input(), signerFor('ed25519'));
    const e = await rejection(embedManifest(signed, 'image/webp', input(), signerFor('ed25519')));
    expect(isCustodyError(e, 'INVALID_ARGUMENT')).toBe(true);
    expect((e as Error).message).toMatch(/already carry a manifest, which signing would drop/);
    const u = await rejection(embedManifest(samples['image/webp'], 'image/webp', { intent: 'update' }, signerFor('ed25519')));
    expect((u as Error).message).toMatch(/expected bytes that carry a manifest for intent "update"/);
  });

  it('intent edit keeps a camera manifest of the original as the parent of the watermarked re-encode', async () => {
    const camera = await orgPki('es256', 'Camera Maker');
    const cameraSigner = await createSigner({ chainPem: camera.signingCertPem, keyPkcs8: camera.signingKeyPkcs8 });
    const original = await embedManifest(samples['image/jpeg'], 'image/jpeg', { title: 'DSC_0001.JPG', digitalSourceType: DIGITAL_CAPTURE }, cameraSigner);
    const reencoded = new Uint8Array(await sharp(original).jpeg({ quality: 92 }).toBuffer()); // sharp drops APP11
    const { createdAt: _drop, digitalSourceType: _opened, ...rest } = input();
    const edited = await embedManifest(
      reencoded,
      'image/jpeg',
      { ...rest, intent: 'edit', parent: { bytes: original, mime: 'image/jpeg', title: 'DSC_0001.JPG' } },
      signerFor('ed25519'),
    );
    const anchors = camera.rootCertPem + (await orgPki('ed25519')).rootCertPem;
    const r = await readManifest(edited, 'image/jpeg', { trustAnchorsPem: anchors });
    expect(r).toMatchObject({ valid: true, trusted: true, validationCodes: [] });
    expect(r?.history.map((h) => [h.signer.organization, h.actions.map((a) => a.action)])).toEqual([
      ['Camera Maker', ['c2pa.created']],
      ['Acme News', ['c2pa.opened', 'c2pa.watermarked.bound']],
    ]);
    expect(r?.custody).toEqual(custody);
    // Trust is the active manifest's signer's: c2pa-rs does not re-judge the parent's against today's anchors.
    const ours = await readManifest(edited, 'image/jpeg', { trustAnchorsPem: (await orgPki('ed25519')).rootCertPem });
    expect(ours).toMatchObject({ valid: true, trusted: true });
    const theirs = await readManifest(edited, 'image/jpeg', { trustAnchorsPem: camera.rootCertPem });
    expect(theirs).toMatchObject({ valid: true, trusted: false, validationCodes: ['signingCredential.untrusted'] });
  });
});

describe('signing failures are errors', () => {
  it('a signer that throws rejects the embed with its own error', async () => {
    const pki = await orgPki('ed25519');
    const failing = await createExternalSigner({
      chainPem: pki.signingCertPem,
      sign: () => {
        throw new Error('HSM unavailable');
      },
    });
    const e = await rejection(embedManifest(samples['image/png'], 'image/png', input(), failing));
    expect((e as Error).message).toBe('HSM unavailable');
  });

  it('a signer returning a malformed signature rejects the embed', async () => {
    const pki = await orgPki('ed25519');
    const short = await createExternalSigner({ chainPem: pki.signingCertPem, sign: () => new Uint8Array(10) });
    const e = await rejection(embedManifest(samples['image/png'], 'image/png', input(), short));
    expect((e as Error).message).toMatch(/64-byte ed25519 signature from the signer, got 10 bytes/);
  });
});

describe('manifest input is checked', () => {
  it.each([
    ['a digital source type that is not IPTC', { digitalSourceType: 'camera' }, /IPTC digital source type/],
    ['c2pa.created among the further actions', { actions: [{ action: 'c2pa.created' }] }, /only opens a manifest/],
    ['an action without a namespace', { actions: [{ action: 'published' }] }, /actions\[0\]\.action/],
    ['a soft-binding payload that is not hex', { softBinding: { payloadHex: 'xyz' } }, /payloadHex/],
    ['an update with a digital source type', { intent: 'update' as const, createdAt: undefined, digitalSourceType: DIGITAL_CAPTURE }, /with intent "update"/],
    ['an edit without its parent', { intent: 'edit' as const, createdAt: undefined, digitalSourceType: undefined }, /parent asset with intent "edit"/],
    ['a creation without a digital source type', { digitalSourceType: undefined }, /expected a digital source type for c2pa\.created/],
    ['a watermark action without the soft binding', { softBinding: undefined }, /softBinding with the c2pa\.watermarked\.bound action/],
    ['a Custody assertion with a bad hash', { custody: { recordId: 'r1', original: { sha256: 'xyz', phash: '0' } } as never }, /original\.sha256/],
  ])('refuses %s', async (_name, over, message) => {
    const e = await rejection(embedManifest(samples['image/png'], 'image/png', { ...input(), ...over }, signerFor('ed25519')));
    expect(isCustodyError(e, 'INVALID_ARGUMENT')).toBe(true);
    expect((e as Error).message).toMatch(message);
  });
});

const mp4 = tinyMp4();

describe.skipIf(!mp4)('MP4', () => {
  it('round trip, then a changed byte in mdat → bmffHash mismatch', async () => {
    const clip = mp4 as Uint8Array;
    const pki = await orgPki('ed25519');
    const signed = await embedManifest(clip, 'video/mp4', input({ title: 'clip.mp4' }), signerFor('ed25519'));
    const r = await readManifest(signed, 'video/mp4', { trustAnchorsPem: pki.rootCertPem });
    expect(r).toMatchObject({ valid: true, trusted: true, validationCodes: [] });
    expect(r?.custody?.recordId).toBe(custody.recordId);
    expect(await readManifest(clip, 'video/mp4')).toBeNull();
    const t = await readManifest(flipContentByte(signed, 'video/mp4'), 'video/mp4', { trustAnchorsPem: pki.rootCertPem });
    expect(t?.valid).toBe(false);
    expect(t?.validationCodes).toContain('assertion.bmffHash.mismatch');
  });
});
