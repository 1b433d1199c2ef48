// The checks every verification reports the same way, whatever the medium: exact bytes, the record's signature,
// and the Content Credentials.
import { verifyCustodyPq } from '../c2pa/mldsa.ts';
import type { C2paMime } from '../c2pa/manifest.ts';
import { readManifest } from '../c2pa/read.ts';
import { verify as verifyEd25519 } from '../crypto/ed25519.ts';
import { listSigningKeys } from '../crypto/keyring.ts';
import type { Limits } from '../media/detect.ts';
import type { ReadableDB } from '../store/db.ts';
import type { SignedRecord } from '../store/records.ts';
import type { Check } from './checks.ts';

export interface VerifyContext {
  db: ReadableDB;
  limits: Limits;
  /** PEM bundle of the roots a manifest may chain to (the org root and the configured trust list). */
  trustAnchorsPem: string;
}

/** Exact bytes: the signed output or its original. */
export function exactBytesCheck(exact: SignedRecord | null, record: SignedRecord | null, sha256: string): Check {
  if (exact) {
    const which = exact.sha256 === sha256 ? 'original' : 'output';
    return { status: 'pass', recordId: exact.id, matched: which, sha256, detail: `the exact bytes of ${which === 'original' ? 'the original' : 'the signed output'} of record ${exact.id}` };
  }
  return record
    ? { status: 'fail', recordId: record.id, sha256, detail: `the bytes differ from record ${record.id}'s original and signed output` }
    : { status: 'absent', sha256, detail: 'no signed file on this desk has these exact bytes' };
}

/** The record's Ed25519 signature over its fingerprint, by one of this desk's keys. */
export function signatureCheck(db: ReadableDB, record: SignedRecord | null): Check {
  if (!record) return { status: 'absent', detail: 'no record to check a signature against' };
  const ok = verifyEd25519(Buffer.from(record.signature, 'hex'), new TextEncoder().encode(record.fingerprint), Buffer.from(record.publicKey, 'hex'));
  if (!ok) return { status: 'fail', keyId: record.keyId, detail: `the signature of record ${record.id} does not verify: the record was altered` };
  const orgKey = listSigningKeys(db).some((k) => k.publicKey === record.publicKey);
  return orgKey
    ? { status: 'pass', keyId: record.keyId, orgKey, detail: `record ${record.id} is signed by org key ${record.keyId}` }
    : { status: 'fail', keyId: record.keyId, orgKey, detail: `the signature verifies, but key ${record.keyId} is not one of this desk's keys` };
}

/** The C2PA check: present, valid (content matches its credentials), trusted (chains to an anchor). */
export async function c2paCheck(bytes: Uint8Array, mime: C2paMime | null, format: string, trustAnchorsPem: string): Promise<{ check: Check; recordId: string | null }> {
  if (!mime) return { check: { status: 'skipped', reason: 'FORMAT_NOT_SUPPORTED_BY_C2PA', detail: `Content Credentials are not read from ${format.toUpperCase()} files` }, recordId: null };
  const m = await readManifest(bytes, mime, { trustAnchorsPem });
  if (!m) return { check: { status: 'absent', detail: 'the file carries no Content Credentials' }, recordId: null };
  const pq = m.custody ? verifyCustodyPq(m.custody) : null;
  const who = [m.signer.commonName, m.signer.organization].filter(Boolean).join(', ') || 'an unnamed signer';
  const evidence = {
    valid: m.valid,
    trusted: m.trusted,
    validationState: m.validationState,
    signer: m.signer,
    actions: m.actions.map((a) => a.action),
    history: m.history.map((h) => ({ signer: h.signer.organization ?? h.signer.commonName, actions: h.actions.map((a) => a.action) })),
    validationCodes: m.validationCodes,
    custodyRecordId: m.custody?.recordId ?? null,
    pqSignature: pq === null ? 'absent' : pq ? 'pass' : 'fail',
  };
  const recordId = m.valid ? (m.custody?.recordId ?? null) : null;
  if (!m.valid) {
    return { check: { status: 'fail', ...evidence, detail: `the Content Credentials no longer match the content (${m.validationCodes.join(', ') || m.error || 'invalid'})` }, recordId };
  }
  if (pq === false) return { check: { status: 'fail', ...evidence, detail: 'the ML-DSA-65 co-signature in the Content Credentials does not verify' }, recordId };
  if (!m.trusted) return { check: { status: 'fail', ...evidence, detail: `valid Content Credentials signed by ${who}, a signer this desk does not trust` }, recordId };
  return { check: { status: 'pass', ...evidence, detail: `valid Content Credentials signed by ${who}, trusted${pq ? ', with a valid ML-DSA-65 co-signature' : ''}` }, recordId };
}

