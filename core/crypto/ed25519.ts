// Ed25519 (RFC 8032) through @noble/ed25519, with SHA-512 from @noble/hashes for the synchronous API.
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
