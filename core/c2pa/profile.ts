// The C2PA 2.x certificate profile (C2PA spec §14.5 "X.509 certificates"), which c2pa-rs enforces when it validates
// a claim signature: the signer is not self-signed, Key Usage is critical and asserts digitalSignature, Extended Key
// Usage is present with id-kp-emailProtection or id-kp-documentSigning and never anyExtendedKeyUsage, and an
// Authority Key Identifier names the issuer. Also the checks for a CA-issued chain and key brought in from outside
// (`custody cert import --chain FILE --key FILE`).
import type { KeyObject } from 'node:crypto';
import { CustodyError } from '../errors.ts';
import type { C2paAlgorithm } from './algorithms.ts';
import {
  matchesCertificate,
  describeKey,
  parseChainPem,
  privateKeyFromInput,
  privateKeyFromPkcs8,
  type CertificateInfo,
} from './certificates.ts';
import { x509 } from './x509.ts';

/** id-kp-emailProtection (RFC 5280) and id-kp-documentSigning (RFC 9336): the EKUs C2PA accepts by default. */
export const EKU_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
export const EKU_DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36';
/** anyExtendedKeyUsage, which C2PA forbids in a signing certificate. */
export const EKU_ANY = '2.5.29.37.0';

/** The C2PA certificate-profile problems of a signing certificate; empty when it may sign claims. */
export async function checkSigningCertificate(cert: CertificateInfo | string, now: Date = new Date()): Promise<string[]> {
  const info = typeof cert === 'string' ? firstCertificate(cert) : cert;
  const c = new x509.X509Certificate(info.der);
  const problems: string[] = [];
  const name = info.subject.text || '(empty subject)';
  if (info.subject.text === info.issuer.text && (await c.isSelfSigned())) {
    problems.push(`expected a certificate issued by a CA, got the self-signed certificate "${name}"`);
  }
  if (info.isCa) problems.push(`expected an end-entity certificate, got "${name}" with Basic Constraints CA:true`);
  const ku = c.getExtension(x509.KeyUsagesExtension);
  if (!ku) {
    problems.push('expected a Key Usage extension asserting digitalSignature, got none');
  } else {
    if (!ku.critical) problems.push('expected the Key Usage extension to be critical, got a non-critical one');
    if (!(ku.usages & x509.KeyUsageFlags.digitalSignature)) {
      problems.push(`expected Key Usage to assert digitalSignature, got ${keyUsageNames(ku.usages) || 'no usages'}`);
    }
  }
  const eku = c.getExtension(x509.ExtendedKeyUsageExtension);
  const usages = (eku?.usages ?? []).map(String);
  if (!eku) {
    problems.push('expected an Extended Key Usage extension with emailProtection or documentSigning, got none');
  } else if (usages.includes(EKU_ANY)) {
    problems.push('expected specific Extended Key Usages, got anyExtendedKeyUsage (2.5.29.37.0), which C2PA forbids');
  } else if (!usages.includes(EKU_EMAIL_PROTECTION) && !usages.includes(EKU_DOCUMENT_SIGNING)) {
    problems.push(
      `expected Extended Key Usage emailProtection (${EKU_EMAIL_PROTECTION}) or documentSigning (${EKU_DOCUMENT_SIGNING}), got ${usages.join(', ') || 'none'}`,
    );
  }
  if (info.subject.text !== info.issuer.text && !c.getExtension(x509.AuthorityKeyIdentifierExtension)) {
    problems.push('expected an Authority Key Identifier extension, got none');
  }
  if (now < info.notBefore) {
    problems.push(`expected a certificate valid now (${now.toISOString()}), got one valid from ${info.notBefore.toISOString()}`);
  }
  if (now > info.notAfter) {
    problems.push(`expected a certificate valid now (${now.toISOString()}), got one that expired ${info.notAfter.toISOString()}`);
  }
  if (!info.keyAlgorithm) problems.push(`expected an Ed25519 or ECDSA P-256 key, got ${info.keyDescription}`);
  return problems;
}

export interface SigningCredentials {
  algorithm: C2paAlgorithm;
  /** Signing certificate first, then intermediates; a trailing self-signed root is left out (it is the anchor). */
  chainPem: string;
  keyPkcs8: Uint8Array;
  leaf: CertificateInfo;
  /** The self-signed root when the bundle included one: offer it as a trust anchor. */
  root: CertificateInfo | null;
}

/**
 * Validates a CA-issued chain and its private key for import (`custody cert import --chain FILE --key FILE`):
 * certificates leaf first, each issued and signed by the next; the key is the leaf's; the leaf meets the C2PA
 * profile. The key may be PEM (PKCS#8 or SEC1 "EC PRIVATE KEY") or PKCS#8 DER; it comes back as PKCS#8 DER.
 */
export async function importSigningChain(opts: {
  chainPem: string;
  key: string | Uint8Array;
  now?: Date;
}): Promise<SigningCredentials> {
  const chain = parseChainPem(opts.chainPem);
  const key = privateKeyFromInput(opts.key);
  return validateChainAndKey(chain, key, opts.now ?? new Date());
}

/** The same checks as `importSigningChain`, for a chain and key already in Custody's hands (before signing). */
export async function validateSigningCredentials(chainPem: string, keyPkcs8: Uint8Array, now: Date = new Date()): Promise<SigningCredentials> {
  return validateChainAndKey(parseChainPem(chainPem), privateKeyFromPkcs8(keyPkcs8, 'signing key'), now);
}

async function validateChainAndKey(chain: CertificateInfo[], key: KeyObject, now: Date): Promise<SigningCredentials> {
  const [leaf] = chain;
  if (!leaf) throw new CustodyError('INVALID_ARGUMENT', 'expected at least one certificate, got none');
  const leafCert = new x509.X509Certificate(leaf.der);
  if (!matchesCertificate(key, leafCert)) {
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `expected the private key of the first certificate "${leaf.subject.text}", got a ${describeKey(key)} key that does not match it`,
      { leaf: leaf.subject.text },
    );
  }
  await checkChainOrder(chain);
  const problems = await checkSigningCertificate(leaf, now);
  if (problems.length > 0) {
    throw new CustodyError('INVALID_ARGUMENT', `the signing certificate "${leaf.subject.text}" cannot sign C2PA claims: ${problems.join('; ')}`, {
      problems,
    });
  }
  const last = chain[chain.length - 1] as CertificateInfo;
  const root = chain.length > 1 && last.subject.text === last.issuer.text ? last : null;
  const kept = root ? chain.slice(0, -1) : chain;
  return {
    algorithm: leaf.keyAlgorithm as C2paAlgorithm,
    chainPem: kept.map((c) => c.pem).join(''),
    keyPkcs8: new Uint8Array(key.export({ type: 'pkcs8', format: 'der' })),
    leaf,
    root,
  };
}

/** Each certificate is issued and signed by the next one, which is a CA (a chain listed signing certificate first). */
export async function checkChainOrder(chain: CertificateInfo[]): Promise<void> {
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i] as CertificateInfo;
    const parent = chain[i + 1] as CertificateInfo;
    if (child.issuer.text !== parent.subject.text) {
      throw new CustodyError(
        'INVALID_ARGUMENT',
        `expected certificate ${i + 2} to be the issuer of certificate ${i + 1} ("${child.issuer.text}"), got "${parent.subject.text}"; list the chain leaf first`,
      );
    }
    const ok = await new x509.X509Certificate(child.der).verify({
      publicKey: new x509.X509Certificate(parent.der).publicKey,
      signatureOnly: true,
    });
    if (!ok) {
      throw new CustodyError(
        'INVALID_ARGUMENT',
        `expected certificate ${i + 1} ("${child.subject.text}") to be signed by certificate ${i + 2}, got a signature that does not verify`,
      );
    }
    if (!parent.isCa) {
      throw new CustodyError('INVALID_ARGUMENT', `expected issuer "${parent.subject.text}" to be a CA, got Basic Constraints without CA:true`);
    }
  }
}

function firstCertificate(pem: string): CertificateInfo {
  const [first] = parseChainPem(pem);
  if (!first) throw new CustodyError('INVALID_ARGUMENT', 'expected a PEM certificate, got none');
  return first;
}

function keyUsageNames(flags: number): string {
  return Object.entries(x509.KeyUsageFlags)
    .filter(([, v]) => typeof v === 'number' && (flags & v) !== 0)
    .map(([k]) => k)
    .join(', ');
}
