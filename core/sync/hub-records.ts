// What a desk pushes to the hub for each signed record (DESIGN.md "Sync"): the fingerprint fields and the signature,
// the watermark payload, the pHash, a video segment's place, and the C2PA manifest store, never the media. The
// schema lives in core because both ends use it: the hub validates ingest with it, the desk's sync client builds
// records with hubRecordOf and signs them with signHubRecord. Also the canonical bytes of a record (its identity for
// idempotent ingest and its leaf in the hub's Merkle log), the record signature over them, and the enrolment proof a
// desk signs with each key it registers.
import { z } from 'zod';
import { canonicalJson, canonicalNumber, canonicalString, hasExactMembers } from '../audit/canonical-json.ts';
import { fingerprintBytes } from '../c2pa/custody-assertion.ts';
import { ed25519Verifier } from '../crypto/ed25519.ts';
import { CustodyError } from '../errors.ts';
import { sha256Hex } from '../media/hash.ts';
import { payloadFromSignature } from '../provenance/fingerprint.ts';
import type { SignedRecord } from '../store/records.ts';

const hex = (chars: number, what: string) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${chars}}$`), `expected ${what} as ${chars} lowercase hex characters`);

/** `newRecordId()`: `rec_` + 26 Crockford base-32 digits. */
export const RECORD_ID = /^rec_[0-9a-hjkmnp-tv-z]{26}$/;
/** Largest manifest store accepted with a record (a store with a certificate chain and thumbnails is ~10–200 KB). */
export const MAX_MANIFEST_BYTES = 2 * 1024 * 1024;

export const HubManifestSchema = z.strictObject({
  /** The active manifest's label (`urn:c2pa:…`), the id the Soft Binding Resolution API answers with. */
  id: z.string().min(1).max(300).regex(/^[\x21-\x7e]+$/, 'expected a manifest label of printable ASCII without spaces')
    // the hub's own ids (urn:custody:manifest:<organisation>:<label>, urn:custody:record:<organisation>:<record>) name
    // another organisation's store or record: a label spelled like one would be served under it
    .refine((id) => !/^urn:custody:/i.test(id), 'expected a manifest label that is not one of the hub\'s own ids (urn:custody:…)'),
  /** The C2PA manifest store (JUMBF), base64. */
  data: z.base64().max(Math.ceil(MAX_MANIFEST_BYTES / 3) * 4, `expected a manifest store of at most ${MAX_MANIFEST_BYTES} bytes`),
});

export const HubRecordSchema = z.strictObject({
  id: z.string().regex(RECORD_ID, 'expected a record id like rec_ followed by 26 base-32 digits'),
  kind: z.enum(['image', 'video', 'segment']),
  /** A segment's video record. */
  parentId: z.string().regex(RECORD_ID, 'expected the parent record id').nullable(),
  /** Signed: SHA-256 of the original (for a segment, its chain hash). */
  sha256: hex(64, 'a SHA-256'),
  /** SHA-256 of the signed output the desk wrote. */
  outputSha256: hex(64, 'a SHA-256').nullable(),
  /** Signed: the 64-bit pHash (image, segment) or the segment-chain hash (video). */
  phash: z.union([hex(16, 'a 64-bit pHash'), hex(64, 'a video segment-chain hash')]),
  /** The watermark payload, first 16 bytes of SHA-256(signature); null when none was embedded. */
  payload: hex(32, 'a 128-bit watermark payload').nullable(),
  /** Signed: the fingerprint's instant. */
  signedAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'expected an ISO-8601 UTC instant like 2025-01-31T09:30:00.000Z'),
  /** Signed: the org signing key (Ed25519, hex). */
  publicKey: hex(64, 'an Ed25519 public key'),
  /** Ed25519 over `sha256|phash|signedAt|publicKey`. */
  signature: hex(128, 'an Ed25519 signature'),
  /**
   * Ed25519 by publicKey over `custody-record/v1:` + hex SHA-256 of canonicalRecord (every other member, the manifest
   * store by its hash): the fingerprint signature alone leaves id, kind, outputSha256, manifest… to whoever pushes.
   */
  recordSignature: hex(128, 'an Ed25519 record signature'),
  format: z.string().min(1).max(16),
  width: z.int().min(0).max(1_000_000).nullable(),
  height: z.int().min(0).max(1_000_000).nullable(),
  /** A video segment's place: index in the chain and its time range in seconds. */
  segment: z.strictObject({ index: z.int().min(0).max(1_000_000), start: z.number().min(0), end: z.number().min(0) }).nullable(),
  manifest: HubManifestSchema.nullable(),
});

export type HubRecord = z.infer<typeof HubRecordSchema>;
/** A wire record before the desk signs it as a whole (signHubRecord). */
export type UnsignedHubRecord = Omit<HubRecord, 'recordSignature'>;

/** The record the desk holds, in the hub's wire form, not yet signed as a whole. */
export function hubRecordOf(r: SignedRecord, manifest: { id: string; data: Uint8Array } | null = null): UnsignedHubRecord {
  const seg = r.kind === 'segment' ? (r.details as { index: number; start: number; end: number }) : null;
  return {
    id: r.id,
    kind: r.kind,
    parentId: r.parentId,
    sha256: r.sha256,
    outputSha256: r.outputSha256,
    phash: r.phash ?? '',
    payload: r.payload,
    signedAt: r.signedAt,
    publicKey: r.publicKey,
    signature: r.signature,
    format: r.format,
    width: r.width,
    height: r.height,
    segment: seg ? { index: seg.index, start: seg.start, end: seg.end } : null,
    manifest: manifest ? { id: manifest.id, data: Buffer.from(manifest.data).toString('base64') } : null,
  };
}

/**
 * The record's canonical form (RFC 8785 JSON) without its record signature, with the manifest store replaced by its
 * SHA-256: what the desk signs as a whole (recordSigningMessage), what the hub stores and compares when an id comes
 * again, and the bytes a Merkle leaf commits to.
 */
export function canonicalRecord(full: HubRecord | UnsignedHubRecord): string {
  const { recordSignature: _, ...r } = full as HubRecord;
  const m = r.manifest ? { id: r.manifest.id, sha256: sha256Hex(Buffer.from(r.manifest.data, 'base64')) } : null;
  if (!hasRecordShape(r)) {
    const { manifest: _m, ...rest } = r;
    return canonicalJson({ ...rest, manifest: m });
  }
  // The same bytes canonicalJson writes (test/hub-records.test.ts compares them), for the record's fixed members in
  // their sorted order: ingest writes one per record, and the generic writer's sorting and paths cost more.
  const s = r.segment;
  return `{"format":${canonicalString(r.format)},"height":${numberOrNull(r.height)},"id":${canonicalString(r.id)},"kind":${canonicalString(r.kind)},`
    + `"manifest":${m ? `{"id":${canonicalString(m.id)},"sha256":"${m.sha256}"}` : 'null'},"outputSha256":${stringOrNull(r.outputSha256)},"parentId":${stringOrNull(r.parentId)},"payload":${stringOrNull(r.payload)},`
    + `"phash":${canonicalString(r.phash)},"publicKey":${canonicalString(r.publicKey)},`
    + `"segment":${s ? `{"end":${canonicalNumber(s.end)},"index":${canonicalNumber(s.index)},"start":${canonicalNumber(s.start)}}` : 'null'},`
    + `"sha256":${canonicalString(r.sha256)},"signature":${canonicalString(r.signature)},"signedAt":${canonicalString(r.signedAt)},"width":${numberOrNull(r.width)}}`;
}

const RECORD_MEMBERS = ['format', 'height', 'id', 'kind', 'manifest', 'outputSha256', 'parentId', 'payload', 'phash', 'publicKey', 'segment', 'sha256', 'signature', 'signedAt', 'width'] as const;
const stringOrNull = (v: string | null): string => (v === null ? 'null' : canonicalString(v));
const numberOrNull = (v: number | null): string => (v === null ? 'null' : canonicalNumber(v));

const isString = (v: unknown): boolean => typeof v === 'string';
const isStringOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
const isNumberOrNull = (v: unknown): boolean => v === null || typeof v === 'number';
const SEGMENT_MEMBERS = ['end', 'index', 'start'] as const;
const MANIFEST_MEMBERS = ['data', 'id'] as const;

/** Exactly the schema's members, each a string, a number or null where it should be (else the generic writer runs, and says what is wrong). */
function hasRecordShape(r: UnsignedHubRecord): boolean {
  return hasExactMembers(r, RECORD_MEMBERS)
    && isString(r.format) && isNumberOrNull(r.height) && isString(r.id) && isString(r.kind) && isStringOrNull(r.outputSha256) && isStringOrNull(r.parentId)
    && isStringOrNull(r.payload) && isString(r.phash) && isString(r.publicKey) && isString(r.sha256) && isString(r.signature) && isString(r.signedAt) && isNumberOrNull(r.width)
    && (r.segment === null || (hasExactMembers(r.segment, SEGMENT_MEMBERS) && SEGMENT_MEMBERS.every((k) => typeof r.segment![k] === 'number')))
    && (r.manifest === null || (hasExactMembers(r.manifest, MANIFEST_MEMBERS) && isString(r.manifest.id)));
}

/** The fingerprint bytes the record's signature covers. */
export function recordFingerprintBytes(r: Pick<HubRecord, 'sha256' | 'phash' | 'signedAt' | 'publicKey'>): Uint8Array {
  return fingerprintBytes({ sha256: r.sha256, phash: r.phash, timestamp: r.signedAt, signer: r.publicKey });
}

/**
 * What the record signature covers: `custody-record/v1:` + the hex SHA-256 of the record's canonical body
 * (canonicalRecord). The prefix keeps it from ever being read as a fingerprint, an enrolment proof or an audit head.
 */
export function recordSigningMessage(contentSha256: string): Uint8Array {
  return new TextEncoder().encode(`custody-record/v1:${contentSha256}`);
}

/** What the record signature of `r` as it is now covers. */
const recordMessageOf = (r: UnsignedHubRecord): Uint8Array => recordSigningMessage(sha256Hex(canonicalRecord(r)));

/** Whether `recordSignature` is the record's publicKey's Ed25519 signature over `r` as it is now. */
export function recordSignatureValid(r: UnsignedHubRecord, recordSignature: string): boolean {
  return ed25519Verifier(Buffer.from(r.publicKey, 'hex'))(Buffer.from(recordSignature, 'hex'), recordMessageOf(r));
}

/** The record signed as a whole by `sign`, the Ed25519 key of its publicKey (the desk's, with the vault open). */
export function signHubRecord(r: UnsignedHubRecord, sign: (message: Uint8Array) => Uint8Array): HubRecord {
  const recordSignature = Buffer.from(sign(recordMessageOf(r))).toString('hex');
  return { ...r, recordSignature };
}

/**
 * The shape rules the schema alone cannot say; the message names the first that fails. (The signature and
 * whether the key belongs to the desk are the hub's to check.)
 */
export function checkRecordShape(r: HubRecord): void {
  const fail = (what: string): never => {
    throw new CustodyError('INVALID_ARGUMENT', `record ${r.id}: ${what}`);
  };
  if (r.kind === 'video' && r.phash.length !== 64) fail(`expected a video record to carry its 64-hex segment-chain hash as phash, got ${r.phash.length} hex`);
  if (r.kind !== 'video' && r.phash.length !== 16) fail(`expected an ${r.kind} record to carry a 16-hex pHash, got ${r.phash.length} hex`);
  if ((r.kind === 'segment') !== (r.parentId !== null)) fail(r.kind === 'segment' ? 'expected a segment to name its video record as parentId, got none' : `expected no parentId on a ${r.kind} record, got ${r.parentId}`);
  if ((r.kind === 'segment') !== (r.segment !== null)) fail(r.kind === 'segment' ? 'expected a segment to give its index and time range, got none' : `expected no segment on a ${r.kind} record`);
  if (r.segment && r.segment.end < r.segment.start) fail(`expected a segment to end after it starts, got ${r.segment.start}–${r.segment.end} s`);
  if (r.payload !== null) {
    const expected = Buffer.from(payloadFromSignature(Buffer.from(r.signature, 'hex'))).toString('hex');
    if (r.payload !== expected) fail(`expected the watermark payload to be the first 16 bytes of SHA-256(signature), ${expected}, got ${r.payload}`);
  }
}

/** What a desk signs with each key it enrols: the one-time token binds the proof to this enrolment. */
export function enrolmentProofBytes(token: string, publicKeyHex: string): Uint8Array {
  return new TextEncoder().encode(`custody-hub-enrol|${token}|${publicKeyHex}`);
}
