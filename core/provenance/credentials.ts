// The org's Content Credentials on this desk: the C2PA signing chain and its key, the org root (the trust anchor
// verifiers add), extra trust anchors, and the hybrid post-quantum key. Certificates live in settings, private
// keys only in the vault.
import type { Keyring } from '../crypto/keyring.ts';
import { CustodyError } from '../errors.ts';
import { mlDsaKeyPairFromSeed, generateMlDsaKeyPair, type MlDsaKeyPair } from '../c2pa/mldsa.ts';
import { createOrgPki } from '../c2pa/pki.ts';
import { importSigningChain } from '../c2pa/profile.ts';
import { createSigner, type C2paSigner } from '../c2pa/signer.ts';
import type { ReadableDB, WritableDB } from '../store/db.ts';
import { getSetting, setSetting } from '../store/settings.ts';

const ROOT_PEM = 'c2pa.root_pem';
const CHAIN_PEM = 'c2pa.chain_pem';
const EXTRA_ANCHORS = 'c2pa.trust_anchors';
const PQ_ENABLED = 'pq.enabled';
const SIGNING_KEY = 'c2pa:signing-key';
const ROOT_KEY = 'c2pa:root-key';
const PQ_SEED = 'pq:ml-dsa-65-seed';

/** Creates the org root CA and a signing certificate issued by it (at `custody init`). */
export async function createOrgCredentials(db: WritableDB, keyring: Keyring, org: string, now: Date): Promise<void> {
  const pki = await createOrgPki({ org, algorithm: 'ed25519', now });
  const at = now.toISOString();
  db.transaction(() => {
    keyring.putSecret(ROOT_KEY, pki.rootKeyPkcs8, at);
    keyring.putSecret(SIGNING_KEY, pki.signingKeyPkcs8, at);
    setSetting(db, ROOT_PEM, pki.rootCertPem);
    setSetting(db, CHAIN_PEM, pki.signingCertPem);
  });
}

export function hasCredentials(db: ReadableDB): boolean {
  return getSetting(db, CHAIN_PEM) !== null;
}

/** The org root as PEM: what verifiers add as a trust anchor. */
export function orgRootPem(db: ReadableDB): string {
  const pem = getSetting(db, ROOT_PEM);
  if (!pem) throw new CustodyError('NOT_FOUND', 'expected an org root certificate on this desk, but there is none (an imported chain brings none unless it includes its root)');
  return pem;
}

/** The Content Credentials signing chain as PEM, signing certificate first; null on a desk without one. */
export function signingChainPem(db: ReadableDB): string | null {
  return getSetting(db, CHAIN_PEM);
}

/** Every anchor a manifest may chain to: the org root and the configured trust list. */
export function trustAnchorsPem(db: ReadableDB): string {
  return [getSetting(db, ROOT_PEM), getSetting(db, EXTRA_ANCHORS)].filter((p): p is string => !!p).join('\n');
}

export function addTrustAnchors(db: WritableDB, pem: string): void {
  if (!/-----BEGIN CERTIFICATE-----/.test(pem)) throw new CustodyError('INVALID_ARGUMENT', 'expected PEM certificates (-----BEGIN CERTIFICATE-----), got something else');
  const current = getSetting(db, EXTRA_ANCHORS);
  setSetting(db, EXTRA_ANCHORS, current ? `${current.trimEnd()}\n${pem.trim()}\n` : `${pem.trim()}\n`);
}

/** Installs a CA-issued chain and its key in place of the org's own certificate. */
export async function importCredentials(db: WritableDB, keyring: Keyring, chainPem: string, key: string | Uint8Array, now: Date): Promise<{ subject: string; issuer: string }> {
  const creds = await importSigningChain({ chainPem, key, now });
  const at = now.toISOString();
  db.transaction(() => {
    keyring.putSecret(`${SIGNING_KEY}:${at}`, creds.keyPkcs8, at);
    setSetting(db, 'c2pa.signing_key_name', `${SIGNING_KEY}:${at}`);
    setSetting(db, CHAIN_PEM, creds.chainPem);
    if (creds.root) setSetting(db, ROOT_PEM, creds.root.pem);
  });
  return { subject: creds.leaf.subject.text, issuer: creds.leaf.issuer.text };
}

export async function c2paSigner(db: ReadableDB, keyring: Keyring): Promise<C2paSigner | null> {
  const chainPem = getSetting(db, CHAIN_PEM);
  if (!chainPem) return null;
  const keyName = getSetting(db, 'c2pa.signing_key_name') ?? SIGNING_KEY;
  return createSigner({ chainPem, keyPkcs8: keyring.getSecret(keyName) });
}

export function pqEnabled(db: ReadableDB): boolean {
  return getSetting(db, PQ_ENABLED) === 'on';
}

/** Hybrid mode: creates the ML-DSA-65 key the first time it is switched on. */
export function setPqEnabled(db: WritableDB, keyring: Keyring, on: boolean, now: Date): void {
  db.transaction(() => {
    if (on) {
      try {
        keyring.getSecret(PQ_SEED);
      } catch {
        keyring.putSecret(PQ_SEED, generateMlDsaKeyPair().seed, now.toISOString());
      }
    }
    setSetting(db, PQ_ENABLED, on ? 'on' : 'off');
  });
}

export function pqKeyPair(db: ReadableDB, keyring: Keyring): MlDsaKeyPair | null {
  return pqEnabled(db) ? mlDsaKeyPairFromSeed(keyring.getSecret(PQ_SEED)) : null;
}
