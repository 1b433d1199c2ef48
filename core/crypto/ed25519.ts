// Ed25519 (RFC 8032) through @noble/ed25519, with SHA-512 from @noble/hashes for the synchronous API.
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { sha256Hex } from '../media/hash.ts';

ed.hashes.sha512 = sha512;

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function generateKeyPair(): KeyPair {
  return ed.keygen();
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return ed.getPublicKey(secretKey);
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed.sign(message, secretKey);
}

/** False for a wrong signature and for malformed keys or signatures: verification never throws. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** A short stable name for a public key: the first 16 hex digits of its SHA-256. */
export function keyId(publicKey: Uint8Array): string {
  return sha256Hex(publicKey).slice(0, 16);
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * A verifier bound to one public key, through OpenSSL (node:crypto): several times faster than the pure-JS path,
 * which matters where thousands of signatures are checked a second (the hub's ingest). Never throws; a malformed
 * key gives a verifier that refuses everything.
 */
export function ed25519Verifier(publicKey: Uint8Array): (signature: Uint8Array, message: Uint8Array) => boolean {
  if (publicKey.length !== 32) return () => false;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  } catch {
    return () => false;
  }
  return (signature, message) => {
    if (signature.length !== 64) return false;
    try {
      return nodeVerify(null, message, key, signature);
    } catch {
      return false;
    }
  };
}
