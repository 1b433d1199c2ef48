// Hybrid post-quantum mode (docs/pq-cosignature.md): an ML-DSA-65 (FIPS 204) co-signature over what the claim's
// Ed25519/ES256 COSE signature covers — the COSE Sig_structure, hence the claim and through it the hard binding of
// the exact bytes, the soft binding and every assertion — plus the Custody assertion itself (record id, org,
// fingerprint, approvals, and the ML-DSA public key). It cannot live inside the claim it signs, so it travels in
// the unprotected header of the claim's COSE_Sign1 under the label `custody.pq`, next to `pad`.
// The key that counts is the org's registered key, never the one a file names: see checkPqCoSignature.
import { randomBytes } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { canonicalJson } from '../audit/canonical-json.ts';
import { CustodyError } from '../errors.ts';
import { decodeCoseSign1, coseSigStructure } from './cose.ts';
import type { CustodyAssertion } from './custody-assertion.ts';
import type { RawManifest } from './jumbf.ts';
import type { CoseAddOn } from './signer.ts';

export const ML_DSA_65 = 'ML-DSA-65';
/** The unprotected COSE header label that carries the co-signature. */
export const PQ_HEADER = 'custody.pq';
/** FIPS 204 context string: a signature made for this purpose verifies for no other. */
const CONTEXT = new TextEncoder().encode('custody/c2pa-claim-cosignature/v1');
const SIGNATURE_BYTES = 3309;
const PUBLIC_KEY_BYTES = 1952;

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

/**
 * The message the co-signature covers: a label, the COSE Sig_structure (["Signature1", protected header, h'',
 * claim]) and the canonical JSON (RFC 8785) of the Custody assertion, each length-prefixed so no two splits of
 * the bytes read alike.
 */
export function pqMessage(sigStructure: Uint8Array, custody: CustodyAssertion): Uint8Array {
  const parts = [new TextEncoder().encode('Custody ML-DSA-65 co-signature v1'), sigStructure, new TextEncoder().encode(canonicalJson(custody))];
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    dv.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** The `pq` field of a Custody assertion: which key co-signs. The signature itself goes in the COSE header. */
export function pqDeclaration(keys: Pick<MlDsaKeyPair, 'publicKey'>): NonNullable<CustodyAssertion['pq']> {
  return { alg: ML_DSA_65, publicKey: Buffer.from(keys.publicKey).toString('hex') };
}

/** The COSE add-on that co-signs a claim with `keys`; `custody` must be the assertion the claim carries. */
export function mlDsaCoSigner(keys: Pick<MlDsaKeyPair, 'publicKey' | 'secretKey'>, custody: CustodyAssertion): CoseAddOn {
  if (!(keys.secretKey instanceof Uint8Array) || keys.secretKey.length !== ml_dsa65.lengths.secretKey) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `expected an ML-DSA-65 secret key of ${ml_dsa65.lengths.secretKey} bytes, got ${keys.secretKey instanceof Uint8Array ? keys.secretKey.length : typeof keys.secretKey}`,
    );
  }
  if (custody.pq?.publicKey !== Buffer.from(keys.publicKey).toString('hex')) {
    throw new CustodyError('INVALID_ARGUMENT', 'expected the Custody assertion to declare the co-signing ML-DSA-65 public key in pq.publicKey, got another key or none');
  }
  return {
    // label (11) + bstr header (3) + signature, with room to spare
    reserve: SIGNATURE_BYTES + 32,
    headers: ({ sigStructure }) => [[PQ_HEADER, ml_dsa65.sign(pqMessage(sigStructure, custody), keys.secretKey, { context: CONTEXT })]],
  };
}

/** A registered ML-DSA-65 key: this desk's own, or one exported with another org's root and trusted here. */
export interface RegisteredPqKey {
  org: string;
  /** 1952 bytes, hex. */
  publicKey: string;
}

export type PqReason = 'PQ_ABSENT' | 'PQ_KEY_NOT_REGISTERED' | 'PQ_KEY_OF_ANOTHER_ORG' | 'PQ_SIGNATURE_MISSING' | 'PQ_SIGNATURE_INVALID' | 'PQ_MANIFEST_UNREADABLE' | 'PQ_STRIPPED' | 'PQ_EDIT_NOT_COSIGNED';

export type PqResult = { status: 'pass'; org: string; detail: string } | { status: 'fail' | 'absent'; reason: PqReason; detail: string };

/**
 * Checks the co-signature of the active manifest (`active` and `custody` must both be the active manifest's own). Passes only when the assertion declares a key registered to the
 * assertion's org and the COSE header carries that key's signature over this claim's Sig_structure and this
 * assertion: a co-signature copied from another claim, or made with any other key, fails.
 */
export function checkPqCoSignature(active: RawManifest | null, custody: CustodyAssertion | null, registered: readonly RegisteredPqKey[]): PqResult {
  if (!custody?.pq) return { status: 'absent', reason: 'PQ_ABSENT', detail: 'the Content Credentials carry no ML-DSA-65 co-signature' };
  const key = custody.pq.publicKey;
  const owners = registered.filter((k) => k.publicKey === key).map((k) => k.org);
  if (owners.length === 0) {
    return { status: 'fail', reason: 'PQ_KEY_NOT_REGISTERED', detail: `the ML-DSA-65 key in the file (${key.slice(0, 16)}…) is not the registered key of ${custody.org} or of any org this desk trusts` };
  }
  if (!owners.includes(custody.org)) {
    return { status: 'fail', reason: 'PQ_KEY_OF_ANOTHER_ORG', detail: `the ML-DSA-65 key in the file is registered to ${owners.join(', ')}, not to ${custody.org}, the org the credentials name` };
  }
  if (!active) return { status: 'fail', reason: 'PQ_MANIFEST_UNREADABLE', detail: 'the claim and its signature could not be read from the file to check the ML-DSA-65 co-signature' };
  let cose;
  try {
    cose = decodeCoseSign1(active.signature);
  } catch (e) {
    return { status: 'fail', reason: 'PQ_MANIFEST_UNREADABLE', detail: `the claim signature is not a COSE_Sign1 (${(e as Error).message})` };
  }
  const sig: unknown = cose.unprotected.get(PQ_HEADER);
  if (!(sig instanceof Uint8Array)) {
    return { status: 'fail', reason: 'PQ_SIGNATURE_MISSING', detail: `the credentials declare an ML-DSA-65 key but the claim signature carries no "${PQ_HEADER}" co-signature` };
  }
  const message = pqMessage(coseSigStructure(cose.protectedHeader, active.claim), custody);
  let ok: boolean;
  try {
    ok = sig.length === SIGNATURE_BYTES && ml_dsa65.verify(sig, message, Buffer.from(key, 'hex'), { context: CONTEXT });
  } catch {
    ok = false; // a malformed signature is a failed one
  }
  return ok
    ? { status: 'pass', org: custody.org, detail: `ML-DSA-65 co-signature of ${custody.org} over this claim` }
    : { status: 'fail', reason: 'PQ_SIGNATURE_INVALID', detail: `the ML-DSA-65 co-signature does not cover this claim and record (copied from another file, or altered), though the key is ${custody.org}'s` };
}

/** SubjectPublicKeyInfo (RFC 5280) of an ML-DSA-65 key, OID id-ml-dsa-65 2.16.840.1.101.3.4.3.18. */
const SPKI_PREFIX = Buffer.from('308207b2300b0609608648016503040312038207a100', 'hex');

/** The key as a PEM `PUBLIC KEY` block (what `custody cert export --root` prints beside the root). */
export function mlDsaPublicKeyPem(publicKey: Uint8Array): string {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new CustodyError('INVALID_ARGUMENT', `expected an ML-DSA-65 public key of ${PUBLIC_KEY_BYTES} bytes, got ${publicKey.length}`);
  }
  const b64 = Buffer.concat([SPKI_PREFIX, publicKey]).toString('base64').replace(/.{64}/g, '$&\n').trimEnd();
  return `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`;
}

/** The ML-DSA-65 keys among a PEM text's `PUBLIC KEY` blocks (others are ignored), as hex. */
export function mlDsaPublicKeysFromPem(pem: string): string[] {
  const out: string[] = [];
  for (const m of pem.matchAll(/-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/g)) {
    const der = Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64');
    if (der.length === SPKI_PREFIX.length + PUBLIC_KEY_BYTES && der.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX)) {
      out.push(der.subarray(SPKI_PREFIX.length).toString('hex'));
    }
  }
  return out;
}
