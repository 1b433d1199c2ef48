// What an org key signs, and how the watermark payload derives from the signature (DESIGN.md, "Sign (image)").
import { hash, randomBytes } from 'node:crypto';
import { fingerprintBytes, type FingerprintFields } from '../c2pa/custody-assertion.ts';

/**
 * `sha256|phash|timestamp|signer`: the original's SHA-256 and pHash (hex), the ISO instant, and the signer's
 * Ed25519 public key (hex), so that the Custody assertion of a C2PA manifest can be checked on its own. The same
 * bytes carry the ML-DSA co-signature; each field's format is checked there.
 */
export function fingerprint(fields: FingerprintFields): string {
  return new TextDecoder().decode(fingerprintBytes(fields));
}

/** The 128-bit watermark payload: the first 16 bytes of SHA-256(signature). */
export function payloadFromSignature(signature: Uint8Array): Uint8Array {
  // node:crypto's one-shot hash: the hub's ingest checks one payload per record
  return hash('sha256', signature, 'buffer').subarray(0, 16);
}

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/** A record id: `rec_` + 10 base-32 digits of milliseconds + 16 random ones, so ids sort by creation time. */
export function newRecordId(now: Date = new Date()): string {
  let t = now.getTime();
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(16);
  let tail = '';
  for (const b of rnd) tail += CROCKFORD[b & 31];
  return `rec_${time}${tail}`;
}
