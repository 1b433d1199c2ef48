// RFC 3161 time-stamp tokens: what a TSA returns, read and judged with pkijs (no hand-written DER).
// A token is a CMS ContentInfo (RFC 5652) holding SignedData whose content is a TSTInfo: the hash of the stamped
// bytes (messageImprint), the time (genTime) and the TSA's signature over both, made with a certificate whose only
// extended key usage is id-kp-timeStamping (RFC 3161 §2.3). A token proves the stamped bytes existed at genTime
// only if all of these hold, and the TSA's certificate chains to a TSA the desk was told to trust.
import { createHash } from 'node:crypto';
import { parseChainPem } from './certificates.ts';
import { asn1js, pkijs, type Pkijs } from './pkijs.ts';
import { x509, type X509 } from './x509.ts';

const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const ID_CT_TSTINFO = '1.2.840.113549.1.9.16.1.4';
export const EKU_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

/** Hash algorithms a messageImprint may use here (SHA-1 is refused: a collision forges the imprint). */
const HASHES: Record<string, 'sha256' | 'sha384' | 'sha512'> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
export const SHA256_OID = '2.16.840.1.101.3.4.2.1';

export interface ParsedToken {
  signedData: Pkijs.SignedData;
  tstInfo: Pkijs.TSTInfo;
  genTime: Date;
  serialHex: string;
  /** The TSA's signing certificate, when the token carries it (requested with certReq). */
  signer: X509.X509Certificate | null;
  /** Every certificate the token carries. */
  certificates: X509.X509Certificate[];
}

/** A copy of the bytes in an ArrayBuffer of their own (a Node Buffer's .buffer is the whole shared pool). */
export function ab(u: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(u.length);
  copy.set(u);
  return copy.buffer;
}

/** Reads a DER TimeStampToken; throws an Error saying what is wrong when it is not one. */
export function parseToken(token: Uint8Array): ParsedToken {
  const asn = asn1js.fromBER(ab(token));
  if (asn.offset === -1) throw new Error('expected DER, got bytes that do not parse as ASN.1');
  const ci = new pkijs.ContentInfo({ schema: asn.result });
  if (ci.contentType !== ID_SIGNED_DATA) throw new Error(`expected CMS SignedData (${ID_SIGNED_DATA}), got content type ${ci.contentType}`);
  const signedData = new pkijs.SignedData({ schema: ci.content });
  if (signedData.encapContentInfo.eContentType !== ID_CT_TSTINFO || !signedData.encapContentInfo.eContent) {
    throw new Error(`expected a TSTInfo (${ID_CT_TSTINFO}), got ${signedData.encapContentInfo.eContentType}`);
  }
  const tstInfo = pkijs.TSTInfo.fromBER(signedData.encapContentInfo.eContent.getValue());
  const certificates = (signedData.certificates ?? [])
    .filter((c): c is Pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => new x509.X509Certificate(c.toSchema().toBER()));
  const signerInfo = signedData.signerInfos[0];
  let signer: X509.X509Certificate | null = null;
  if (signerInfo?.sid instanceof pkijs.IssuerAndSerialNumber) {
    const sid = signerInfo.sid;
    const i = (signedData.certificates ?? []).findIndex((c) => c instanceof pkijs.Certificate && c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
    signer = i >= 0 ? (certificates[i] ?? null) : null;
  }
  return {
    signedData,
    tstInfo,
    genTime: tstInfo.genTime,
    serialHex: Buffer.from(tstInfo.serialNumber.valueBlock.valueHexView).toString('hex'),
    signer,
    certificates,
  };
}

/** Whether the token's messageImprint is the hash of `data` (with the token's own SHA-2 algorithm). */
export function imprintMatches(t: ParsedToken, data: Uint8Array): boolean {
  const alg = HASHES[t.tstInfo.messageImprint.hashAlgorithm.algorithmId];
  if (!alg) return false;
  const want = createHash(alg).update(data).digest();
  return Buffer.from(t.tstInfo.messageImprint.hashedMessage.valueBlock.valueHexView).equals(want);
}

/** Whether the CMS signature over the TSTInfo verifies with the signer certificate the token names. */
export async function signatureVerifies(t: ParsedToken, data: Uint8Array): Promise<boolean> {
  try {
    const r = await t.signedData.verify({ signer: 0, data: ab(data), checkChain: false, extendedMode: true });
    return r.signatureVerified === true;
  } catch {
    return false;
  }
}

/**
 * RFC 3161 §2.3: the TSA's certificate carries one extended key usage, id-kp-timeStamping, marked critical.
 * Returns what is wrong, or null.
 */
export function timeStampingUsageProblem(cert: X509.X509Certificate): string | null {
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  if (!eku) return 'it has no extended key usage';
  const usages = eku.usages.map(String);
  if (!usages.includes(EKU_TIME_STAMPING)) return `its extended key usages (${usages.join(', ')}) do not include timeStamping`;
  if (usages.length !== 1) return `timeStamping must be its only extended key usage, got ${usages.join(', ')}`;
  if (!eku.critical) return 'its extended key usage is not marked critical';
  return null;
}

/**
 * Whether the TSA certificate chains, through the certificates in the token, to one of `anchorsPem`, each link
 * signed by the next and valid at genTime. Returns what is wrong, or null.
 */
export async function chainProblem(t: ParsedToken, anchorsPem: string): Promise<string | null> {
  if (!t.signer) return 'the token does not carry the TSA certificate';
  const anchors = parseChainPem(anchorsPem).map((c) => pkijs.Certificate.fromBER(ab(c.der)));
  const carried = (t.signedData.certificates ?? []).filter((c): c is Pkijs.Certificate => c instanceof pkijs.Certificate);
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: anchors,
    certs: [...carried.filter((c) => !c.subject.isEqual(c.issuer) || anchors.length === 0)],
    checkDate: t.genTime,
  });
  engine.certs.push(pkijs.Certificate.fromBER(t.signer.rawData));
  try {
    const r = await engine.verify();
    return r.result ? null : r.resultMessage || 'no chain to a trusted TSA root';
  } catch (e) {
    return (e as { resultMessage?: string }).resultMessage ?? (e instanceof Error ? e.message : String(e));
  }
}

/** The subject of the TSA certificate as people read it (its CN, else the whole name). */
export function tsaName(t: ParsedToken): string {
  if (!t.signer) return '(TSA certificate not in the token)';
  const cn = t.signer.subjectName.getField('CN')[0];
  return cn ?? t.signer.subject;
}
