// What the hub's per-organisation log commits to, leaf by leaf: every record it accepted and every audit-log head a
// desk pushed. A leaf's bytes are RFC 8785 canonical JSON, tagged by type so a record can never be read as a head;
// each carries the Ed25519 signatures its desk made, so a leaf proves who signed what without the hub's word. A record
// leaf of version 2 carries the record signature over its content; version 1 (records pushed before desks signed
// the whole record) carries only the fingerprint's, which says nothing about the record's other fields.
import { z } from 'zod';
import { canonicalJson, canonicalString, hasExactMembers } from '../audit/canonical-json.ts';
import { headSigningMessage } from '../audit/entry.ts';
import { ed25519Verifier } from '../crypto/ed25519.ts';
import { sha256Hex } from '../media/hash.ts';
import { canonicalRecord, recordFingerprintBytes, recordSigningMessage, RECORD_ID, type HubRecord, type UnsignedHubRecord } from '../sync/hub-records.ts';
import { leafHash } from './merkle.ts';

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`));

const recordLeafMembers = {
  type: z.literal('record'),
  id: z.string().regex(RECORD_ID),
  /** SHA-256 of the record's canonical body (canonicalRecord): binds every field the desk pushed. */
  content: hex(64),
  /** The signed fingerprint `sha256|phash|signedAt|publicKey` and its signature, readable without the body. */
  sha256: hex(64),
  phash: z.union([hex(16), hex(64)]),
  signedAt: z.string(),
  publicKey: hex(64),
  signature: hex(128),
};

/** A record leaf of the log's first format: its only signature covers the fingerprint, not the content. */
export const RecordLeafV1Schema = z.strictObject({ v: z.literal(1), ...recordLeafMembers });

export const RecordLeafSchema = z.strictObject({
  v: z.literal(2),
  ...recordLeafMembers,
  /** Ed25519 by publicKey over `custody-record/v1:<content>` (recordSigningMessage): the desk signed the content. */
  recordSignature: hex(128),
});

export const AuditHeadLeafSchema = z.strictObject({
  v: z.literal(1),
  type: z.literal('audit-head'),
  /** The hub's id of the desk that pushed it. */
  desk: z.string().min(1).max(100),
  seq: z.int().min(1),
  hash: hex(64),
  publicKey: hex(64),
  /** Ed25519 over `custody-audit-head/v1:<seq>:<hash>` (core/audit/entry.ts headSigningMessage). */
  signature: hex(128),
});

export const LeafSchema = z.union([RecordLeafSchema, RecordLeafV1Schema, AuditHeadLeafSchema]);

export type RecordLeafV1 = z.infer<typeof RecordLeafV1Schema>;
export type RecordLeaf = z.infer<typeof RecordLeafSchema> | RecordLeafV1;
export type AuditHeadLeaf = z.infer<typeof AuditHeadLeafSchema>;
export type Leaf = z.infer<typeof LeafSchema>;

/**
 * A record's leaf from the record and SHA-256 of its canonical body (canonicalRecord): version 2 with its record
 * signature, version 1 for a record stored without one (pushed before desks signed whole records).
 */
export function recordLeafFrom(r: Pick<HubRecord, 'id' | 'sha256' | 'phash' | 'signedAt' | 'publicKey' | 'signature'> & { recordSignature?: string | null }, contentSha256: string): RecordLeaf {
  const fingerprint = { type: 'record' as const, id: r.id, content: contentSha256, sha256: r.sha256, phash: r.phash, signedAt: r.signedAt, publicKey: r.publicKey, signature: r.signature };
  return r.recordSignature ? { v: 2, ...fingerprint, recordSignature: r.recordSignature } : { v: 1, ...fingerprint };
}

/** The leaf of a record as a desk holds it (the wire form, manifest included). */
export function recordLeafOf(r: UnsignedHubRecord & { recordSignature?: string | null }): RecordLeaf {
  return recordLeafFrom(r, sha256Hex(canonicalRecord(r)));
}

/** The leaf of a record from its stored canonical body and record signature (the hub's `records.body`, `record_signature`). */
export function recordLeafOfBody(body: string, recordSignature: string | null): RecordLeaf {
  return recordLeafFrom({ ...(JSON.parse(body) as HubRecord), recordSignature }, sha256Hex(body));
}

const UTF8 = new TextEncoder();

export function leafBytes(l: Leaf): Uint8Array {
  return UTF8.encode(l.type === 'record' && isRecordLeaf(l) ? recordLeafJson(l) : canonicalJson(l));
}

/**
 * A record leaf's canonical JSON written member by member in sorted order: the same bytes as canonicalJson
 * (test/hub-records.test.ts compares them), without its sorting and paths, for ingest's one leaf per record.
 */
function recordLeafJson(l: RecordLeaf): string {
  return `{"content":${canonicalString(l.content)},"id":${canonicalString(l.id)},"phash":${canonicalString(l.phash)},"publicKey":${canonicalString(l.publicKey)},`
    + (l.v === 2 ? `"recordSignature":${canonicalString(l.recordSignature)},` : '')
    + `"sha256":${canonicalString(l.sha256)},"signature":${canonicalString(l.signature)},"signedAt":${canonicalString(l.signedAt)},"type":"record","v":${l.v === 2 ? 2 : 1}}`;
}

const RECORD_LEAF_V1_MEMBERS = ['content', 'id', 'phash', 'publicKey', 'sha256', 'signature', 'signedAt', 'type', 'v'] as const;
const RECORD_LEAF_MEMBERS = ['content', 'id', 'phash', 'publicKey', 'recordSignature', 'sha256', 'signature', 'signedAt', 'type', 'v'] as const;

/** Exactly a record leaf's members for its version, the strings strings; anything else goes to the generic writer. */
function isRecordLeaf(l: RecordLeaf): boolean {
  const members = l.v === 2 ? RECORD_LEAF_MEMBERS : l.v === 1 ? RECORD_LEAF_V1_MEMBERS : null;
  return members !== null && hasExactMembers(l, members) && members.every((k) => k === 'v' || typeof (l as Record<string, unknown>)[k] === 'string');
}

export function leafHashOf(l: Leaf): Uint8Array {
  return leafHash(leafBytes(l));
}

/** The leaf in `text`, when it is one, written canonically; null otherwise. */
export function parseLeaf(text: string): Leaf | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const r = LeafSchema.safeParse(v);
  if (!r.success || canonicalJson(r.data) !== text) return null;
  return r.data;
}

/**
 * Which of the desk's signatures in the leaf does not verify, named for an error message; null when all do: for a
 * record, the fingerprint's and (version 2) the record signature over its content; for an audit head, the head
 * message's. A version 1 record leaf has only the first, which does not cover the content (proof-file.ts decides
 * who may rely on one).
 */
export function leafSignatureProblem(l: Leaf): string | null {
  const verify = ed25519Verifier(Buffer.from(l.publicKey, 'hex'));
  const sig = (hexSig: string) => Buffer.from(hexSig, 'hex');
  if (l.type === 'audit-head') return verify(sig(l.signature), headSigningMessage(l.seq, l.hash)) ? null : 'the audit-head signature over custody-audit-head/v1:<seq>:<hash>';
  let fingerprint: Uint8Array;
  try {
    fingerprint = recordFingerprintBytes(l);
  } catch {
    return 'the fingerprint signature (fingerprint fields no desk could have signed)';
  }
  if (!verify(sig(l.signature), fingerprint)) return 'the fingerprint signature over sha256|phash|signedAt|publicKey';
  if (l.v === 2 && !verify(sig(l.recordSignature), recordSigningMessage(l.content))) return 'the record signature over custody-record/v1:<content>';
  return null;
}
