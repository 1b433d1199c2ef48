// X.509 certificates and private keys as Custody handles them: parsing PEM bundles into plain descriptions, and
// reading private keys (PKCS#8 DER, or PEM in PKCS#8 or SEC1 form) into node KeyObjects.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CustodyError } from '../errors.ts';
import type { C2paAlgorithm } from './algorithms.ts';
import { x509, type X509 } from './x509.ts';

export interface DistinguishedName {
  commonName: string | null;
  organization: string | null;
  /** RFC 4514 text, e.g. `CN=Acme News Signing, O=Acme News`. */
  text: string;
}

export interface CertificateInfo {
  subject: DistinguishedName;
  issuer: DistinguishedName;
  /** Hexadecimal, as the certificate encodes it. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** The signature algorithm of the certified key, when it is one Custody can sign with. */
  keyAlgorithm: C2paAlgorithm | null;
  /** A human description of the certified key, e.g. `ed25519` or `ec (secp384r1)`. */
  keyDescription: string;
  isCa: boolean;
  der: Uint8Array<ArrayBuffer>;
  pem: string;
}

/** One PEM certificate block (global: `text.match` gives every block of a bundle, in file order). */
export const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Parses every certificate of a PEM bundle, in file order. Refuses a bundle with none or with a broken one. */
export function parseChainPem(pem: string): CertificateInfo[] {
  if (typeof pem !== 'string') {
    throw new CustodyError('INVALID_ARGUMENT', `expected a PEM certificate chain as text, got ${typeof pem}`);
  }
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    const head = pem.trim().slice(0, 40).replace(/\s+/g, ' ');
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `expected PEM certificates ("-----BEGIN CERTIFICATE-----"), got ${head ? `text starting "${head}"` : 'empty text'}`,
    );
  }
  return blocks.map((block, i) => {
    let cert: X509.X509Certificate;
    try {
      cert = new x509.X509Certificate(block);
    } catch (e) {
      throw new CustodyError(
        'INVALID_ARGUMENT',
        `expected certificate ${i + 1} of ${blocks.length} to be DER X.509, got data that does not parse (${(e as Error).message})`,
        undefined,
        { cause: e },
      );
    }
    return describeCertificate(cert);
  });
}

function describeCertificate(cert: X509.X509Certificate): CertificateInfo {
  const der = new Uint8Array(cert.rawData);
  const pub = createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
  return {
    subject: nameOf(cert.subjectName),
    issuer: nameOf(cert.issuerName),
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    keyAlgorithm: keyAlgorithmOf(pub),
    keyDescription: describeKey(pub),
    isCa: cert.getExtension(x509.BasicConstraintsExtension)?.ca === true,
    der,
    pem: pemOf(cert),
  };
}

/** PEM text ending in a newline, so that bundles can be made by concatenation (c2pa-rs reads no other kind). */
export function pemOf(cert: X509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

function nameOf(name: X509.Name): DistinguishedName {
  return {
    commonName: name.getField('CN')[0] ?? null,
    organization: name.getField('O')[0] ?? null,
    text: name.toString(),
  };
}

/** The C2PA algorithm a key signs with, when Custody supports it. */
export function keyAlgorithmOf(key: KeyObject): C2paAlgorithm | null {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'es256';
  return null;
}

export function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const bits = key.asymmetricKeyDetails?.modulusLength;
  return `${key.asymmetricKeyType ?? key.type}${curve ? ` (${curve})` : bits ? ` (${bits} bits)` : ''}`;
}

/** Whether a private key is the one a certificate certifies. */
export function matchesCertificate(key: KeyObject, cert: X509.X509Certificate): boolean {
  const certKey = createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
  const pub = createPublicKey(key);
  // Compare types first: KeyObject.equals on keys of different types leaves "different key types" on OpenSSL's
  // error queue, and the next key parse in the process then fails with it (Node 22, OpenSSL 3).
  if (describeKey(pub) !== describeKey(certKey)) return false;
  return pub.equals(certKey);
}

/** A private KeyObject from PKCS#8 DER; refuses anything else with a message naming `what`. */
export function privateKeyFromPkcs8(pkcs8: Uint8Array, what: string): KeyObject {
  if (!(pkcs8 instanceof Uint8Array) || pkcs8.length === 0) {
    throw new CustodyError('INVALID_ARGUMENT', `expected the ${what} as PKCS#8 DER bytes, got ${pkcs8 instanceof Uint8Array ? 'no bytes' : typeof pkcs8}`);
  }
  try {
    return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new CustodyError('INVALID_ARGUMENT', `expected the ${what} as PKCS#8 DER, got ${pkcs8.length} bytes that do not parse`, undefined, {
      cause: e,
    });
  }
}

/** A private KeyObject from a key file's contents: PEM (PKCS#8 or SEC1), or PKCS#8 DER; never an encrypted one. */
export function privateKeyFromInput(key: string | Uint8Array): KeyObject {
  const text = typeof key === 'string' ? key : isPemBytes(key) ? Buffer.from(key).toString('utf8') : null;
  if (text === null) return privateKeyFromPkcs8(key as Uint8Array, 'private key');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    throw new CustodyError('INVALID_ARGUMENT', 'expected an unencrypted private key, got an encrypted PEM; decrypt it first (openssl pkey -in KEY -out PLAIN)');
  }
  if (!/-----BEGIN (EC |)PRIVATE KEY-----/.test(text)) {
    const head = text.trim().slice(0, 40).replace(/\s+/g, ' ');
    throw new CustodyError('INVALID_ARGUMENT', `expected a PEM private key ("-----BEGIN PRIVATE KEY-----"), got ${head ? `text starting "${head}"` : 'empty text'}`);
  }
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch (e) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a readable PEM private key, got one that does not parse (${(e as Error).message})`, undefined, {
      cause: e,
    });
  }
}

function isPemBytes(b: Uint8Array): boolean {
  return Buffer.from(b.subarray(0, 64)).toString('latin1').includes('-----BEGIN');
}
