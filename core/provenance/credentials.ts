// The org's Content Credentials on this desk: the C2PA signing chain and its key, the org root (the trust anchor
// verifiers add), extra trust anchors, and the hybrid post-quantum key. Certificates live in settings, private
// keys only in the vault.
import type { Keyring } from '../crypto/keyring.ts';
import { CustodyError } from '../errors.ts';
import { mlDsaKeyPairFromSeed, generateMlDsaKeyPair, mlDsaPublicKeyPem, mlDsaPublicKeysFromPem, type MlDsaKeyPair, type RegisteredPqKey } from '../c2pa/mldsa.ts';
import { parseChainPem } from '../c2pa/certificates.ts';
import { createOrgPki } from '../c2pa/pki.ts';
import { importSigningChain } from '../c2pa/profile.ts';
import { createHeldSigner, type C2paSigner } from '../c2pa/signer.ts';
import type { ReadableDB, WritableDB } from '../store/db.ts';
import { getSetting, setSetting } from '../store/settings.ts';

const ROOT_PEM = 'c2pa.root_pem';
const CHAIN_PEM = 'c2pa.chain_pem';
const EXTRA_ANCHORS = 'c2pa.trust_anchors';
const PQ_ENABLED = 'pq.enabled';
const SIGNING_KEY = 'c2pa:signing-key';
const ROOT_KEY = 'c2pa:root-key';
const PQ_SEED = 'pq:ml-dsa-65-seed';
/** This desk's ML-DSA-65 public key (hex), kept beside the seed so that verifying needs no unlocked vault. */
const PQ_PUBLIC = 'pq.public_key';
/** ML-DSA-65 keys of other orgs, pinned with their roots: JSON RegisteredPqKey[]. */
const PQ_TRUSTED = 'pq.trusted_keys';

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

/**
 * Trusts the roots of a PEM file, and pins the ML-DSA-65 keys that come with them (`custody cert export --root` of
 * an org in hybrid mode) as that org's: the org is the O of the file's first certificate.
 */
export function addTrustAnchors(db: WritableDB, pem: string): { roots: number; pqKeys: number; already: number } {
  if (!/-----BEGIN CERTIFICATE-----/.test(pem)) throw new CustodyError('INVALID_ARGUMENT', 'expected PEM certificates (-----BEGIN CERTIFICATE-----), got something else');
  const certs = parseChainPem(pem);
  const pqKeys = mlDsaPublicKeysFromPem(pem);
  const org = certs[0]?.subject.organization ?? certs[0]?.subject.commonName ?? null;
  if (pqKeys.length > 0 && !org) {
    throw new CustodyError('INVALID_ARGUMENT', 'expected the root that comes with an ML-DSA-65 key to name its organisation (O=), got a certificate without one');
  }
  // A root already trusted (the same certificate) is not added again: trusting it twice changes nothing.
  const current = getSetting(db, EXTRA_ANCHORS);
  const held = new Set(current ? parseChainPem(current).map((c) => c.pem.trim()) : []);
  const fresh = certs.filter((c, i) => !held.has(c.pem.trim()) && certs.findIndex((d) => d.pem.trim() === c.pem.trim()) === i);
  const pinned = trustedPqKeys(db);
  const freshPq = pqKeys.filter((k) => !pinned.some((p) => p.publicKey === k && p.org === org));
  if (fresh.length === 0 && freshPq.length === 0) return { roots: 0, pqKeys: 0, already: certs.length };
  const certPem = fresh.map((c) => c.pem).join('');
  db.transaction(() => {
    if (certPem) setSetting(db, EXTRA_ANCHORS, current ? `${current.trimEnd()}\n${certPem}` : certPem);
    if (freshPq.length > 0) {
      const others = pinned.filter((k) => !pqKeys.includes(k.publicKey));
      setSetting(db, PQ_TRUSTED, JSON.stringify([...others, ...pqKeys.map((publicKey) => ({ org: org as string, publicKey }))]));
    }
  });
  return { roots: fresh.length, pqKeys: freshPq.length, already: certs.length - fresh.length };
}

function trustedPqKeys(db: ReadableDB): RegisteredPqKey[] {
  const raw = getSetting(db, PQ_TRUSTED);
  return raw ? (JSON.parse(raw) as RegisteredPqKey[]) : [];
}

/** The ML-DSA-65 keys a co-signature may be made with: this desk's own (for `org`) and the pinned ones. */
export function registeredPqKeys(db: ReadableDB, org: string): RegisteredPqKey[] {
  const own = getSetting(db, PQ_PUBLIC);
  return [...(own ? [{ org, publicKey: own }] : []), ...trustedPqKeys(db)];
}

/** The org root as verifiers should take it: the root PEM, then this desk's ML-DSA-65 public key when it has one. */
export function orgRootExport(db: ReadableDB): string {
  const own = getSetting(db, PQ_PUBLIC);
  return own ? `${orgRootPem(db)}${mlDsaPublicKeyPem(Buffer.from(own, 'hex'))}` : orgRootPem(db);
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
  return createHeldSigner({ chainPem, keyPkcs8: keyring.getSecret(keyName) });
}

export function pqEnabled(db: ReadableDB): boolean {
  return getSetting(db, PQ_ENABLED) === 'on';
}

/** Hybrid mode: creates the ML-DSA-65 key the first time it is switched on. */
export function setPqEnabled(db: WritableDB, keyring: Keyring, on: boolean, now: Date): void {
  db.transaction(() => {
    if (on) {
      let seed: Uint8Array;
      try {
        seed = keyring.getSecret(PQ_SEED);
      } catch {
        seed = generateMlDsaKeyPair().seed;
        keyring.putSecret(PQ_SEED, seed, now.toISOString());
      }
      setSetting(db, PQ_PUBLIC, Buffer.from(mlDsaKeyPairFromSeed(seed).publicKey).toString('hex'));
    }
    setSetting(db, PQ_ENABLED, on ? 'on' : 'off');
  });
}

export function pqKeyPair(db: ReadableDB, keyring: Keyring): MlDsaKeyPair | null {
  return pqEnabled(db) ? mlDsaKeyPairFromSeed(keyring.getSecret(PQ_SEED)) : null;
}
