// Hybrid mode: the ML-DSA-65 co-signature over the fingerprint, and the Custody assertion's own rules.
import * as ed from '@noble/ed25519';
import { describe, expect, it } from 'vitest';
import {
  fingerprintBytes,
  fingerprintOf,
  validateCustodyAssertion,
  type CustodyAssertion,
  type FingerprintFields,
} from '../core/c2pa/custody-assertion.ts';
import {
  generateMlDsaKeyPair,
  mlDsaCoSignature,
  mlDsaKeyPairFromSeed,
  mlDsaSignFingerprint,
  mlDsaVerifyFingerprint,
  verifyCustodyPq,
} from '../core/c2pa/mldsa.ts';
import { isCustodyError } from '../core/errors.ts';
import { custodyAssertion, deskKey } from './fixtures/c2pa.ts';

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

describe('ML-DSA-65 co-signature', () => {
  const keys = generateMlDsaKeyPair();

  it('verifies over the same fields and fails when any field changes', () => {
    const sig = mlDsaSignFingerprint(FIELDS, keys.secretKey);
    expect(sig.length).toBe(3309);
    expect(mlDsaVerifyFingerprint(FIELDS, sig, keys.publicKey)).toBe(true);
    expect(mlDsaVerifyFingerprint({ ...FIELDS, phash: 'c3a1f0e0d8b4b2a0' }, sig, keys.publicKey)).toBe(false);
    expect(mlDsaVerifyFingerprint({ ...FIELDS, timestamp: '2025-03-14T09:26:53.590Z' }, sig, keys.publicKey)).toBe(false);
    expect(mlDsaVerifyFingerprint({ ...FIELDS, sha256: `${FIELDS.sha256.slice(0, 63)}9` }, sig, keys.publicKey)).toBe(false);
    expect(mlDsaVerifyFingerprint(FIELDS, sig, generateMlDsaKeyPair().publicKey)).toBe(false);
    const flipped = new Uint8Array(sig);
    flipped[100] = (flipped[100] as number) ^ 1;
    expect(mlDsaVerifyFingerprint(FIELDS, flipped, keys.publicKey)).toBe(false);
    expect(mlDsaVerifyFingerprint(FIELDS, sig.subarray(1), keys.publicKey)).toBe(false);
  });

  it('rebuilds the same key pair from its 32-byte seed', () => {
    const again = mlDsaKeyPairFromSeed(keys.seed);
    expect(Buffer.from(again.publicKey).equals(Buffer.from(keys.publicKey))).toBe(true);
    expect(() => mlDsaKeyPairFromSeed(new Uint8Array(31))).toThrow(/32-byte ML-DSA seed, got 31 bytes/);
    expect(() => mlDsaSignFingerprint(FIELDS, keys.publicKey)).toThrow(/secret key of 4032 bytes, got 1952/);
  });

  it('is carried in the Custody assertion next to the Ed25519 signature over the same bytes', async () => {
    const desk = await deskKey();
    const base = await custodyAssertion(desk);
    const withPq: CustodyAssertion = { ...base, pq: mlDsaCoSignature(fingerprintOf(base), keys) };
    expect(validateCustodyAssertion(withPq)).toEqual(withPq);
    expect(verifyCustodyPq(withPq)).toBe(true);
    expect(verifyCustodyPq(base)).toBeNull();
    const msg = fingerprintBytes(fingerprintOf(withPq));
    expect(await ed.verifyAsync(Buffer.from(withPq.signature ?? '', 'hex'), msg, Buffer.from(desk.publicKeyHex, 'hex'))).toBe(true);
    expect(verifyCustodyPq({ ...withPq, original: { ...withPq.original, phash: '0000000000000000' } })).toBe(false);
    expect(verifyCustodyPq({ ...withPq, signedAt: '2030-01-01T00:00:00.000Z' })).toBe(false);
  });
});

describe('Custody assertion', () => {
  it.each([
    ['no record id', { recordId: '' }, /recordId/],
    ['an upper-case hash', { original: { sha256: 'A3'.repeat(32), phash: 'c3a1f0e0d8b4b2a1' } }, /original\.sha256/],
    ['a pHash of 12 hex', { original: { sha256: 'a3'.repeat(32), phash: 'c3a1f0e0d8b4' } }, /original\.phash/],
    ['a local timestamp', { signedAt: '2025-03-14 09:26' }, /signedAt/],
    ['an unknown field', { extra: 1 }, /extra/],
    ['a short ML-DSA key', { pq: { alg: 'ML-DSA-65', publicKey: 'ab', signature: 'cd' } }, /pq\.publicKey/],
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
