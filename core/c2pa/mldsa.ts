// Hybrid post-quantum mode: an ML-DSA-65 (FIPS 204) co-signature over the same fingerprint bytes the desk's
// Ed25519 key signs, carried in the Custody assertion's `pq` field. Pure ML-DSA with an empty context, so anyone
// holding the fingerprint fields can check it with any FIPS 204 implementation.
import { randomBytes } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { CustodyError } from '../errors.ts';
import { fingerprintBytes, fingerprintOf, type CustodyAssertion, type FingerprintFields } from './custody-assertion.ts';

export const ML_DSA_65 = 'ML-DSA-65';

export interface MlDsaKeyPair {
  /** 32 bytes from which the pair is rebuilt: what the vault should keep. */
  seed: Uint8Array;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export function generateMlDsaKeyPair(): MlDsaKeyPair {
  return mlDsaKeyPairFromSeed(new Uint8Array(randomBytes(32)));
}

export function mlDsaKeyPairFromSeed(seed: Uint8Array): MlDsaKeyPair {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a 32-byte ML-DSA seed, got ${seed instanceof Uint8Array ? `${seed.length} bytes` : typeof seed}`);
  }
  const { publicKey, secretKey } = ml_dsa65.keygen(seed);
  return { seed: new Uint8Array(seed), publicKey, secretKey };
}

export function mlDsaSignFingerprint(fields: FingerprintFields, secretKey: Uint8Array): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== ml_dsa65.lengths.secretKey) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `expected an ML-DSA-65 secret key of ${ml_dsa65.lengths.secretKey} bytes, got ${secretKey instanceof Uint8Array ? secretKey.length : typeof secretKey}`,
    );
  }
  return ml_dsa65.sign(fingerprintBytes(fields), secretKey);
}

/** False for a wrong signature, key or field; throws only on malformed fields. */
export function mlDsaVerifyFingerprint(fields: FingerprintFields, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const message = fingerprintBytes(fields);
  if (publicKey.length !== ml_dsa65.lengths.publicKey || signature.length !== ml_dsa65.lengths.signature) return false;
  try {
    return ml_dsa65.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** The `pq` field of a Custody assertion for these fingerprint fields. */
export function mlDsaCoSignature(fields: FingerprintFields, keys: Pick<MlDsaKeyPair, 'publicKey' | 'secretKey'>): NonNullable<CustodyAssertion['pq']> {
  return {
    alg: ML_DSA_65,
    publicKey: Buffer.from(keys.publicKey).toString('hex'),
    signature: Buffer.from(mlDsaSignFingerprint(fields, keys.secretKey)).toString('hex'),
  };
}

/**
 * Checks the assertion's ML-DSA co-signature against its own fields: null when it carries none. Whether the
 * public key belongs to the org is the caller's question (compare it with the org's registered key).
 */
export function verifyCustodyPq(a: CustodyAssertion): boolean | null {
  if (!a.pq) return null;
  return mlDsaVerifyFingerprint(fingerprintOf(a), Buffer.from(a.pq.signature, 'hex'), Buffer.from(a.pq.publicKey, 'hex'));
}
