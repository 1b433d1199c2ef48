// Organisation certificates for C2PA signing: a self-signed org root CA and the signing (end-entity) certificate it
// issues under the C2PA certificate profile (profile.ts). Nothing here persists anything: keys come in and go out
// as PKCS#8 bytes, and the caller keeps them (the vault).
import { CustodyError } from '../errors.ts';
import { KEY_PARAMS, SIGN_PARAMS, type C2paAlgorithm } from './algorithms.ts';
import { matchesCertificate, parseChainPem, pemOf, privateKeyFromPkcs8 } from './certificates.ts';
import { EKU_DOCUMENT_SIGNING, EKU_EMAIL_PROTECTION } from './profile.ts';
import { subtle, x509, type X509 } from './x509.ts';

const DAY_MS = 86_400_000;
/** Certificates start an hour in the past so that a verifier whose clock is slightly behind still accepts them. */
const BACKDATE_MS = 3_600_000;

export interface OrgPki {
  algorithm: C2paAlgorithm;
  /** The org root CA: give it to verifiers as a trust anchor. */
  rootCertPem: string;
  rootKeyPkcs8: Uint8Array;
  /** The signing certificate, issued by the root; this is the chain a C2PA signer embeds. */
  signingCertPem: string;
  signingKeyPkcs8: Uint8Array;
}

export interface CreateOrgPkiOptions {
  org: string;
  algorithm: C2paAlgorithm;
  /** Common name of the root; default `<org> Root CA`. */
  rootCommonName?: string;
  /** Common name of the signing certificate; default `<org> Content Credentials`. */
  signingCommonName?: string;
  /** Default 20 years. */
  rootValidityDays?: number;
  /** Default 2 years; reissue with `issueSigningCertificate`. */
  signingValidityDays?: number;
  now?: Date;
}

/** Creates an org root CA and a C2PA signing certificate issued by it. */
export async function createOrgPki(opts: CreateOrgPkiOptions): Promise<OrgPki> {
  const org = requireName(opts.org, 'org');
  const algorithm = requireAlgorithm(opts.algorithm);
  const now = opts.now ?? new Date();
  const rootKeys = await generateKeyPair(algorithm);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    name: dn(opts.rootCommonName ?? withSuffix(org, ' Root CA'), org),
    keys: rootKeys,
    signingAlgorithm: SIGN_PARAMS[algorithm],
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + (opts.rootValidityDays ?? 20 * 365) * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const rootKeyPkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', rootKeys.privateKey));
  const rootCertPem = pemOf(root);
  const signing = await issueSigningCertificate({
    org,
    issuerCertPem: rootCertPem,
    issuerKeyPkcs8: rootKeyPkcs8,
    ...(opts.signingCommonName === undefined ? {} : { commonName: opts.signingCommonName }),
    ...(opts.signingValidityDays === undefined ? {} : { validityDays: opts.signingValidityDays }),
    now,
  });
  return {
    algorithm,
    rootCertPem,
    rootKeyPkcs8,
    signingCertPem: signing.signingCertPem,
    signingKeyPkcs8: signing.signingKeyPkcs8,
  };
}

export interface IssueSigningCertificateOptions {
  org: string;
  /** The CA that issues: the org root, or an intermediate CA. */
  issuerCertPem: string;
  issuerKeyPkcs8: Uint8Array;
  commonName?: string;
  validityDays?: number;
  now?: Date;
}

/** Issues a fresh signing certificate and key under an existing CA (rotation); same algorithm as the CA's key. */
export async function issueSigningCertificate(
  opts: IssueSigningCertificateOptions,
): Promise<{ signingCertPem: string; signingKeyPkcs8: Uint8Array }> {
  const org = requireName(opts.org, 'org');
  const [issuerInfo] = parseChainPem(opts.issuerCertPem);
  if (!issuerInfo) throw new CustodyError('INVALID_ARGUMENT', 'expected the issuer certificate in PEM, got no certificate');
  const issuer = new x509.X509Certificate(issuerInfo.der);
  if (!issuerInfo.isCa) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a CA certificate as issuer, got "${issuerInfo.subject.text}" without CA:true`);
  }
  const issuerKey = privateKeyFromPkcs8(opts.issuerKeyPkcs8, 'issuer key');
  if (!matchesCertificate(issuerKey, issuer)) {
    throw new CustodyError('INVALID_ARGUMENT', 'expected the issuer private key to match the issuer certificate, got another key');
  }
  const algorithm = issuerInfo.keyAlgorithm;
  if (!algorithm) {
    throw new CustodyError('INVALID_ARGUMENT', `expected an Ed25519 or P-256 issuer key, got ${issuerInfo.keyDescription}`);
  }
  const now = opts.now ?? new Date();
  const issuerSigningKey = await subtle.importKey('pkcs8', bytesOf(opts.issuerKeyPkcs8), KEY_PARAMS[algorithm], false, ['sign']);
  const keys = await generateKeyPair(algorithm);
  const cert = await x509.X509CertificateGenerator.create({
    subject: dn(opts.commonName ?? withSuffix(org, ' Content Credentials'), org),
    issuer: issuer.subjectName,
    publicKey: keys.publicKey,
    signingKey: issuerSigningKey,
    signingAlgorithm: SIGN_PARAMS[algorithm],
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(Math.min(now.getTime() + (opts.validityDays ?? 2 * 365) * DAY_MS, issuer.notAfter.getTime())),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([EKU_EMAIL_PROTECTION, EKU_DOCUMENT_SIGNING], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await authorityKeyIdentifier(issuer),
    ],
  });
  return {
    signingCertPem: pemOf(cert),
    signingKeyPkcs8: new Uint8Array(await subtle.exportKey('pkcs8', keys.privateKey)),
  };
}

/** The AKI names the issuer's own SKI when it has one (RFC 5280 §4.2.1.1), else a hash of its key. */
async function authorityKeyIdentifier(issuer: X509.X509Certificate): Promise<X509.AuthorityKeyIdentifierExtension> {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return ski ? new x509.AuthorityKeyIdentifierExtension(ski) : x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey);
}

function dn(commonName: string, org: string): X509.JsonName {
  return [{ CN: [requireName(commonName, 'common name')] }, { O: [org] }];
}

/** `org + suffix`, shortening the org part so the name fits X.520's 64 characters. */
function withSuffix(org: string, suffix: string): string {
  return `${org.slice(0, 64 - suffix.length).trimEnd()}${suffix}`;
}

function requireName(s: unknown, what: string): string {
  if (typeof s !== 'string' || s.trim() === '') throw new CustodyError('INVALID_ARGUMENT', `expected a non-empty ${what}, got ${JSON.stringify(s)}`);
  if (s.length > 64) throw new CustodyError('INVALID_ARGUMENT', `expected a ${what} of at most 64 characters (X.520 ub-name), got ${s.length}`);
  return s.trim();
}

function requireAlgorithm(a: unknown): C2paAlgorithm {
  if (a === 'ed25519' || a === 'es256') return a;
  throw new CustodyError('INVALID_ARGUMENT', `expected algorithm "ed25519" or "es256", got ${JSON.stringify(a)}`);
}

async function generateKeyPair(algorithm: C2paAlgorithm): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(KEY_PARAMS[algorithm], true, ['sign', 'verify'])) as CryptoKeyPair;
}

function bytesOf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return copy;
}
