// Ed25519 (RFC 8032): signing and public keys through OpenSSL (node:crypto), verification and key generation through
// @noble/ed25519, with SHA-512 from @noble/hashes for its synchronous API. Ed25519 signatures are deterministic, so
// both give the same bytes; OpenSSL's take microseconds where noble's first use in a process builds its tables
// (~0.1–0.2 s of a fresh `custody sign`, spent unlocking the vault).
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
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

/** DER prefix of an Ed25519 PKCS #8 PrivateKeyInfo (RFC 8410 §7): the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  if (secretKey.length !== 32) throw new Error(`expected a 32-byte Ed25519 secret key, got ${secretKey.length} bytes`);
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, secretKey]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(ED25519_SPKI_PREFIX.length));
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, privateKeyObject(secretKey)));
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
