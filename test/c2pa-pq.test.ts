// Hybrid mode: the ML-DSA-65 co-signature over the claim's COSE Sig_structure and the Custody assertion, carried in
// the claim signature's unprotected header, checked against the org's registered key; and the assertion's rules.
import { describe, expect, it, beforeAll } from 'vitest';
import { fingerprintBytes, validateCustodyAssertion, type CustodyAssertion, type FingerprintFields } from '../core/c2pa/custody-assertion.ts';
import { decodeCoseSign1 } from '../core/c2pa/cose.ts';
import { embedManifest } from '../core/c2pa/embed.ts';
import { readRawManifests } from '../core/c2pa/jumbf.ts';
import { DIGITAL_CAPTURE, type C2paMime } from '../core/c2pa/manifest.ts';
import {
  checkPqCoSignature,
  generateMlDsaKeyPair,
  mlDsaCoSigner,
  mlDsaKeyPairFromSeed,
  mlDsaPublicKeyPem,
  mlDsaPublicKeysFromPem,
  PQ_HEADER,
  pqDeclaration,
  type MlDsaKeyPair,
} from '../core/c2pa/mldsa.ts';
import { readManifest } from '../core/c2pa/read.ts';
import { createSigner, type C2paSigner, type CoseAddOn } from '../core/c2pa/signer.ts';
import { isCustodyError } from '../core/errors.ts';
import { custodyAssertion, deskKey, imageSamples, orgPki, type Samples } from './fixtures/c2pa.ts';

const FIELDS: FingerprintFields = {
  sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  phash: 'c3a1f0e0d8b4b2a1',
  timestamp: '2025-03-14T09:26:53.589Z',
  signer: '3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29',
};

describe('fingerprint bytes', () => {
  it('are sha256|phash|timestamp|signer in UTF-8', () => {
    expect(new TextDecoder().decode(fingerprintBytes(FIELDS))).toBe(
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08|c3a1f0e0d8b4b2a1|2025-03-14T09:26:53.589Z|3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29',
    );
  });

  it.each([
    ['upper-case hex', { sha256: FIELDS.sha256.toUpperCase() }],
    ['a short pHash', { phash: 'c3a1' }],
    ['a timestamp with an offset', { timestamp: '2025-03-14T10:26:53.589+01:00' }],
    ['a timestamp without milliseconds', { timestamp: '2025-03-14T09:26:53Z' }],
    ['a separator inside a field', { signer: `${FIELDS.signer.slice(0, 63)}|` }],
  ])('refuse %s', (_name, change) => {
    expect(() => fingerprintBytes({ ...FIELDS, ...change })).toThrow(/expected fingerprint field/);
  });
});

describe('ML-DSA-65 co-signature over the claim', () => {
  const orgKeys = generateMlDsaKeyPair();
  const registered = [{ org: 'Acme News', publicKey: Buffer.from(orgKeys.publicKey).toString('hex') }];
  let samples: Samples;
  let signer: C2paSigner;

  beforeAll(async () => {
    samples = await imageSamples();
    const pki = await orgPki('ed25519');
    signer = await createSigner({ chainPem: pki.signingCertPem, keyPkcs8: pki.signingKeyPkcs8 });
  });

  /** Signs `mime` with a Custody assertion declaring `declared`, co-signed by whatever `addOns` add. */
  async function sign(mime: C2paMime, custody: CustodyAssertion, addOns: CoseAddOn[]): Promise<{ bytes: Uint8Array; custody: CustodyAssertion }> {
    const bytes = await embedManifest(samples[mime as keyof Samples], mime, { title: 'x', digitalSourceType: DIGITAL_CAPTURE, custody }, signer, { addOns });
    return { bytes, custody };
  }
  async function check(bytes: Uint8Array, mime: C2paMime) {
    const m = await readManifest(bytes, mime);
    expect(m?.valid).toBe(true);
    return checkPqCoSignature(readRawManifests(bytes, mime)?.at(-1) ?? null, m!.custody, registered);
  }
  async function assertionWith(keys: Pick<MlDsaKeyPair, 'publicKey'>, over: Partial<CustodyAssertion> = {}): Promise<CustodyAssertion> {
    return { ...(await custodyAssertion(await deskKey(), over)), pq: pqDeclaration(keys) };
  }
  /** An add-on that writes a given co-signature, whatever the claim: the transplant. */
  const copied = (sig: Uint8Array): CoseAddOn => ({ reserve: sig.length + 32, headers: () => [[PQ_HEADER, sig]] });
  const coSignatureOf = (bytes: Uint8Array, mime: C2paMime) => decodeCoseSign1(readRawManifests(bytes, mime)!.at(-1)!.signature).unprotected.get(PQ_HEADER) as Uint8Array;

  it.each(['image/jpeg', 'image/png', 'image/webp'] as const)('%s: passes for the org key over this claim and record', async (mime) => {
    const custody = await assertionWith(orgKeys);
    const { bytes } = await sign(mime, custody, [mlDsaCoSigner(orgKeys, custody)]);
    expect(coSignatureOf(bytes, mime)).toHaveLength(3309);
    expect(await check(bytes, mime)).toMatchObject({ status: 'pass', org: 'Acme News' });
  });

  it('a genuine co-signature transplanted onto another photo fails', async () => {
    const custody = await assertionWith(orgKeys);
    const genuine = await sign('image/jpeg', custody, [mlDsaCoSigner(orgKeys, custody)]);
    // Same assertion, same key, the co-signature bytes copied verbatim; only the picture (so the hard binding) differs.
    const forged = await sign('image/png', custody, [copied(coSignatureOf(genuine.bytes, 'image/jpeg'))]);
    expect(await check(forged.bytes, 'image/png')).toMatchObject({ status: 'fail', reason: 'PQ_SIGNATURE_INVALID' });
  });

  it('a genuine co-signature on the same photo with a changed record fails (approvals, record id)', async () => {
    const custody = await assertionWith(orgKeys);
    const genuine = await sign('image/png', custody, [mlDsaCoSigner(orgKeys, custody)]);
    const sig = coSignatureOf(genuine.bytes, 'image/png');
    const approvals = [{ stage: 'desk', role: 'chief', by: 'mallory', decision: 'approved' as const, at: '2025-03-14T10:00:00.000Z' }];
    for (const changed of [{ ...custody, approvals }, { ...custody, recordId: 'rec_other' }]) {
      const forged = await sign('image/png', changed, [copied(sig)]);
      expect(await check(forged.bytes, 'image/png')).toMatchObject({ status: 'fail', reason: 'PQ_SIGNATURE_INVALID' });
    }
  });

  it("a co-signature made with the attacker's own ML-DSA key fails, though it verifies under that key", async () => {
    const mallory = generateMlDsaKeyPair();
    const custody = await assertionWith(mallory);
    const { bytes } = await sign('image/jpeg', custody, [mlDsaCoSigner(mallory, custody)]);
    const r = await check(bytes, 'image/jpeg');
    expect(r).toMatchObject({ status: 'fail', reason: 'PQ_KEY_NOT_REGISTERED' });
    // The same file checked by someone who registered Mallory's key passes: the key decides, not the file.
    const m = await readManifest(bytes, 'image/jpeg');
    const raw = readRawManifests(bytes, 'image/jpeg')!.at(-1)!;
    expect(checkPqCoSignature(raw, m!.custody, [{ org: 'Acme News', publicKey: custody.pq!.publicKey }]).status).toBe('pass');
    expect(checkPqCoSignature(raw, m!.custody, [{ org: 'Other Org', publicKey: custody.pq!.publicKey }])).toMatchObject({ status: 'fail', reason: 'PQ_KEY_OF_ANOTHER_ORG' });
  });

  it('a declared key without its co-signature, or with a flipped bit, fails', async () => {
    const custody = await assertionWith(orgKeys);
    const bare = await sign('image/png', custody, []);
    expect(await check(bare.bytes, 'image/png')).toMatchObject({ status: 'fail', reason: 'PQ_SIGNATURE_MISSING' });
    const genuine = await sign('image/png', custody, [mlDsaCoSigner(orgKeys, custody)]);
    const flipped = new Uint8Array(coSignatureOf(genuine.bytes, 'image/png'));
    flipped[100] = (flipped[100] as number) ^ 1;
    const bad = await sign('image/png', custody, [copied(flipped)]);
    expect(await check(bad.bytes, 'image/png')).toMatchObject({ status: 'fail', reason: 'PQ_SIGNATURE_INVALID' });
  });

  it('no declared key: absent', async () => {
    const custody = await custodyAssertion(await deskKey());
    const { bytes } = await sign('image/png', custody, []);
    expect(await check(bytes, 'image/png')).toMatchObject({ status: 'absent', reason: 'PQ_ABSENT' });
  });

  it('refuses to co-sign an assertion that declares another key', async () => {
    const custody = await assertionWith(generateMlDsaKeyPair());
    expect(() => mlDsaCoSigner(orgKeys, custody)).toThrow(/declare the co-signing ML-DSA-65 public key/);
  });

  it('rebuilds the same key pair from its 32-byte seed, and round-trips the key through PEM', () => {
    const again = mlDsaKeyPairFromSeed(orgKeys.seed);
    expect(Buffer.from(again.publicKey).equals(Buffer.from(orgKeys.publicKey))).toBe(true);
    expect(() => mlDsaKeyPairFromSeed(new Uint8Array(31))).toThrow(/32-byte ML-DSA seed, got 31 bytes/);
    const pem = mlDsaPublicKeyPem(orgKeys.publicKey);
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    expect(mlDsaPublicKeysFromPem(`junk\n${pem}`)).toEqual([registered[0]!.publicKey]);
    // An Ed25519 SPKI block is not taken for an ML-DSA key.
    expect(mlDsaPublicKeysFromPem('-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n')).toEqual([]);
  });
});

describe('Custody assertion', () => {
  it.each([
    ['no record id', { recordId: '' }, /recordId/],
    ['an upper-case hash', { original: { sha256: 'A3'.repeat(32), phash: 'c3a1f0e0d8b4b2a1' } }, /original\.sha256/],
    ['a pHash of 12 hex', { original: { sha256: 'a3'.repeat(32), phash: 'c3a1f0e0d8b4' } }, /original\.phash/],
    ['a local timestamp', { signedAt: '2025-03-14 09:26' }, /signedAt/],
    ['an unknown field', { extra: 1 }, /extra/],
    ['a short ML-DSA key', { pq: { alg: 'ML-DSA-65', publicKey: 'ab' } }, /pq\.publicKey/],
    ['a co-signature inside the assertion', { pq: { alg: 'ML-DSA-65', publicKey: 'ab'.repeat(1952), signature: 'cd' } }, /pq/],
    ['an approval without its stage', { approvals: [{ role: 'desk-chief', by: 'u1', decision: 'approved', at: '2025-03-14T09:26:53.589Z' }] }, /approvals\.0\.stage/],
  ])('refuses %s', async (_name, change, path) => {
    const a = { ...(await custodyAssertion(await deskKey())), ...change };
    let err: unknown;
    try {
      validateCustodyAssertion(a);
    } catch (e) {
      err = e;
    }
    expect(isCustodyError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(path);
  });
});
