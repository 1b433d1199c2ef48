// What the hub's per-organisation log commits to, leaf by leaf: every record it accepted and every audit-log head a
// desk pushed. A leaf's bytes are RFC 8785 canonical JSON, tagged by type so a record can never be read as a head;
// each carries the Ed25519 signature its desk made, so a leaf proves who signed what without the hub's word.
import { z } from 'zod';
import { canonicalJson, canonicalString, hasExactMembers } from '../audit/canonical-json.ts';
import { headSigningMessage } from '../audit/entry.ts';
import { ed25519Verifier } from '../crypto/ed25519.ts';
import { sha256Hex } from '../media/hash.ts';
import { canonicalRecord, recordFingerprintBytes, RECORD_ID, type HubRecord } from '../sync/hub-records.ts';
import { leafHash } from './merkle.ts';

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`));

export const RecordLeafSchema = z.strictObject({
  v: z.literal(1),
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

export const LeafSchema = z.discriminatedUnion('type', [RecordLeafSchema, AuditHeadLeafSchema]);

export type RecordLeaf = z.infer<typeof RecordLeafSchema>;
export type AuditHeadLeaf = z.infer<typeof AuditHeadLeafSchema>;
export type Leaf = z.infer<typeof LeafSchema>;

/** A record's leaf from the record and SHA-256 of its canonical body (canonicalRecord). */
export function recordLeafFrom(r: Pick<HubRecord, 'id' | 'sha256' | 'phash' | 'signedAt' | 'publicKey' | 'signature'>, contentSha256: string): RecordLeaf {
  return { v: 1, type: 'record', id: r.id, content: contentSha256, sha256: r.sha256, phash: r.phash, signedAt: r.signedAt, publicKey: r.publicKey, signature: r.signature };
}

/** The leaf of a record as a desk holds it (the wire form, manifest included). */
export function recordLeafOf(r: HubRecord): RecordLeaf {
  return recordLeafFrom(r, sha256Hex(canonicalRecord(r)));
}

/** The leaf of a record from its stored canonical body (the hub's `records.body`). */
export function recordLeafOfBody(body: string): RecordLeaf {
  return recordLeafFrom(JSON.parse(body) as HubRecord, sha256Hex(body));
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
    + `"sha256":${canonicalString(l.sha256)},"signature":${canonicalString(l.signature)},"signedAt":${canonicalString(l.signedAt)},"type":"record","v":1}`;
}

const RECORD_LEAF_MEMBERS = ['content', 'id', 'phash', 'publicKey', 'sha256', 'signature', 'signedAt', 'type', 'v'] as const;

/** Exactly a record leaf's members, the strings strings and v 1; anything else goes to the generic writer. */
function isRecordLeaf(l: RecordLeaf): boolean {
  return hasExactMembers(l, RECORD_LEAF_MEMBERS) && l.v === 1 && RECORD_LEAF_MEMBERS.every((k) => k === 'v' || typeof l[k] === 'string');
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

/** Whether the desk's signature in the leaf verifies: over the fingerprint (record) or the head message (audit head). */
export function leafSignatureValid(l: Leaf): boolean {
  let message: Uint8Array;
  try {
    message = l.type === 'record'
      ? recordFingerprintBytes({ sha256: l.sha256, phash: l.phash, signedAt: l.signedAt, publicKey: l.publicKey } as HubRecord)
      : headSigningMessage(l.seq, l.hash);
  } catch {
    return false; // fingerprint fields no desk could have signed
  }
  return ed25519Verifier(Buffer.from(l.publicKey, 'hex'))(Buffer.from(l.signature, 'hex'), message);
}
