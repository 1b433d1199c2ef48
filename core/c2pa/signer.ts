// The C2PA claim signer handed to c2pa-wasm: it owns the certificate chain and produces the complete, padded
// COSE_Sign1 for a claim (c2pa-wasm's signer uses "direct COSE handling": the callback returns the COSE bytes).
import { X509Certificate, sign as nodeSign, type KeyObject } from 'node:crypto';
import { CustodyError, missingCase } from '../errors.ts';
import type { C2paAlgorithm } from './algorithms.ts';
import { coseProtectedHeader, coseReserveSize, coseSigStructure, padCoseSign1 } from './cose.ts';
import { keyAlgorithmOf, parseChainPem, PEM_CERTIFICATE, privateKeyFromPkcs8, type CertificateInfo } from './certificates.ts';
import { checkChainOrder, checkSigningCertificate, EKU_ANY, EKU_DOCUMENT_SIGNING, EKU_EMAIL_PROTECTION, validateSigningCredentials } from './profile.ts';

/** Signs raw bytes: Ed25519 (RFC 8032) or ECDSA P-256/SHA-256 as r‖s (IEEE P1363, what COSE requires). */
export type RawSign = (message: Uint8Array) => Promise<Uint8Array> | Uint8Array;

/**
 * Something added to the unprotected header of the claim's COSE_Sign1 once the claim is signed: the ML-DSA
 * co-signature (mldsa.ts), an RFC 3161 timestamp. It does not change what the claim signature covers.
 */
export interface CoseAddOn {
  /** The most bytes its headers take in the encoded COSE_Sign1, labels included. */
  reserve: number;
  headers(signed: { protectedHeader: Uint8Array; sigStructure: Uint8Array; signature: Uint8Array }): Promise<[string, unknown][]> | [string, unknown][];
}

export interface C2paSigner {
  readonly algorithm: C2paAlgorithm;
  /** Signing certificate first, then intermediates. */
  readonly chainPem: string;
  readonly leaf: CertificateInfo;
  /** The exact length of every COSE_Sign1 this signer returns without add-ons. */
  readonly reserveSize: number;
  /** The COSE_Sign1 (tag 18, detached payload) over a C2PA claim, `reserveSize` + Σ add-on reserve bytes long. */
  signClaim(claim: Uint8Array, addOns?: readonly CoseAddOn[]): Promise<Uint8Array>;
}

/** The length of the COSE_Sign1 a signer returns with these add-ons: what c2pa-rs must reserve. */
export function reserveWith(signer: Pick<C2paSigner, 'reserveSize'>, addOns: readonly CoseAddOn[] = []): number {
  return addOns.reduce((n, a) => n + a.reserve, signer.reserveSize);
}

/** A signer from a chain and its PKCS#8 private key (as the vault hands it out); checks both before any signing. */
export async function createSigner(opts: { chainPem: string; keyPkcs8: Uint8Array; now?: Date }): Promise<C2paSigner> {
  const creds = await validateSigningCredentials(opts.chainPem, opts.keyPkcs8, opts.now);
  const key = privateKeyFromPkcs8(creds.keyPkcs8, 'signing key');
  const chain = parseChainPem(creds.chainPem);
  return buildSigner(creds.algorithm, chain, () => chain[0] as CertificateInfo, rawSignerFor(creds.algorithm, key));
}

/**
 * A signer whose private key lives elsewhere (an HSM, a KMS, a vault that never releases it): `sign` receives the
 * COSE Sig_structure bytes. The chain's signing certificate is checked against the C2PA profile; the key is not
 * seen here, so a mismatch shows up as `claimSignature.mismatch` when the manifest is read.
 */
export async function createExternalSigner(opts: { chainPem: string; sign: RawSign; now?: Date }): Promise<C2paSigner> {
  const chain = parseChainPem(opts.chainPem);
  const leaf = chain[0] as CertificateInfo;
  await checkChainOrder(chain);
  const problems = await checkSigningCertificate(leaf, opts.now);
  if (problems.length > 0) {
    throw new CustodyError('INVALID_ARGUMENT', `the signing certificate "${leaf.subject.text}" cannot sign C2PA claims: ${problems.join('; ')}`, {
      problems,
    });
  }
  const last = chain[chain.length - 1] as CertificateInfo;
  const kept = chain.length > 1 && last.subject.text === last.issuer.text ? chain.slice(0, -1) : chain;
  return buildSigner(leaf.keyAlgorithm as C2paAlgorithm, kept, () => leaf, opts.sign);
}

/**
 * The signer for the chain and key a desk holds (credentials.ts): they were checked in full when they came in (the
 * org's own at `custody init`, a CA's at `custody cert import`), and are checked again here before signing with
 * Node's own X.509 reader, which costs nothing to load: the key is the signing certificate's, each certificate is
 * issued and signed by the next, a CA, the signing certificate is an end entity with a C2PA extended key usage and
 * valid now. Anything else (an expired certificate, a key that does not match) goes through createSigner, which
 * loads @peculiar/x509 and refuses it with its full reasons. The signer is the same either way: the same chain, the
 * same COSE bytes.
 */
export async function createHeldSigner(opts: { chainPem: string; keyPkcs8: Uint8Array; now?: Date }): Promise<C2paSigner> {
  return heldSigner(opts.chainPem, opts.keyPkcs8, opts.now ?? new Date()) ?? createSigner(opts);
}

function heldSigner(chainPem: string, keyPkcs8: Uint8Array, now: Date): C2paSigner | null {
  let certs: X509Certificate[];
  let key: KeyObject;
  try {
    certs = (chainPem.match(PEM_CERTIFICATE) ?? []).map((block) => new X509Certificate(block));
    key = privateKeyFromPkcs8(keyPkcs8, 'signing key');
  } catch {
    return null;
  }
  const leaf = certs[0];
  if (!leaf || !leaf.checkPrivateKey(key)) return null;
  // a self-issued certificate anywhere (a trailing root, a self-signed leaf) is for createSigner to judge
  if (certs.some((c) => c.checkIssued(c))) return null;
  for (let i = 0; i + 1 < certs.length; i++) {
    const [child, parent] = [certs[i] as X509Certificate, certs[i + 1] as X509Certificate];
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey) || !parent.ca) return null;
  }
  const usages = leaf.keyUsage ?? [];
  if (leaf.ca || !(usages.includes(EKU_DOCUMENT_SIGNING) || usages.includes(EKU_EMAIL_PROTECTION)) || usages.includes(EKU_ANY)) return null;
  if (now < leaf.validFromDate || now > leaf.validToDate) return null;
  const algorithm = keyAlgorithmOf(leaf.publicKey);
  if (!algorithm) return null;
  const chain = certs.map((c) => ({ der: new Uint8Array(c.raw), pem: c.toString() }));
  let info: CertificateInfo | undefined;
  // described (with @peculiar/x509) only when asked for: signing needs the bytes alone
  const leafPem = leaf.toString();
  return buildSigner(algorithm, chain, () => (info ??= parseChainPem(leafPem)[0] as CertificateInfo), rawSignerFor(algorithm, key));
}

function buildSigner(algorithm: C2paAlgorithm, chain: readonly Pick<CertificateInfo, 'der' | 'pem'>[], leaf: () => CertificateInfo, raw: RawSign): C2paSigner {
  const chainDer = chain.map((c) => c.der);
  const protectedHeader = coseProtectedHeader(algorithm, chainDer);
  const reserveSize = coseReserveSize(chainDer);
  return {
    algorithm,
    chainPem: chain.map((c) => c.pem).join(''),
    get leaf() {
      return leaf();
    },
    reserveSize,
    async signClaim(claim: Uint8Array, addOns: readonly CoseAddOn[] = []): Promise<Uint8Array> {
      const sigStructure = coseSigStructure(protectedHeader, claim);
      const signature = await raw(sigStructure);
      if (!(signature instanceof Uint8Array) || signature.length !== 64) {
        throw new CustodyError(
          'INVALID_ARGUMENT',
          `expected a 64-byte ${algorithm} signature from the signer, got ${signature instanceof Uint8Array ? `${signature.length} bytes` : typeof signature}`,
        );
      }
      const extra: [string, unknown][] = [];
      for (const a of addOns) extra.push(...(await a.headers({ protectedHeader, sigStructure, signature })));
      return padCoseSign1(protectedHeader, signature, reserveSize + addOns.reduce((n, a) => n + a.reserve, 0), extra);
    },
  };
}

function rawSignerFor(algorithm: C2paAlgorithm, key: KeyObject): RawSign {
  switch (algorithm) {
    case 'ed25519':
      return (m) => new Uint8Array(nodeSign(null, m, key));
    case 'es256':
      return (m) => new Uint8Array(nodeSign('sha256', m, { key, dsaEncoding: 'ieee-p1363' }));
    default:
      return missingCase(algorithm);
  }
}

