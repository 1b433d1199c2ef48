// Which file of a record a verified file is: the unsigned original it was signed from, the signed output, the
// organisation's published version (or a copy of it), or another copy. The verdict says so, and the report says who
// signed it, when and on which desk, and who approved its publication.
import { verify as verifyEd25519 } from '../crypto/ed25519.ts';
import { listSigningKeys } from '../crypto/keyring.ts';
import type { ReadableDB } from '../store/db.ts';
import type { SignedRecord } from '../store/records.ts';
import { findPublicationBySha256, listPublicationsOf, type PublicationRow } from '../workflow/items.ts';
import type { PublicationStatement } from '../workflow/publish.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { Verdict } from './checks.ts';

export interface PublicationSummary {
  id: string;
  /** Where the desk wrote the published file. */
  output: string;
  sha256: string;
  publishedAt: string;
  publishedBy: string;
  approvals: { stage: string; role: string; by: string; at: string }[];
}

export interface SignedSummary {
  org: string;
  keyId: string;
  signedAt: string;
  /** The name of the file the record was signed from, and where the signed output went. */
  input: string;
  output: string | null;
}

/** A publication row whose statement is signed by one of this desk's keys (else it is not evidence of anything). */
function summarise(db: ReadableDB, row: PublicationRow): PublicationSummary | null {
  const ok = verifyEd25519(Buffer.from(row.signature, 'hex'), new TextEncoder().encode(row.statement), Buffer.from(row.public_key, 'hex'));
  if (!ok || !listSigningKeys(db).some((k) => k.publicKey === row.public_key)) return null;
  // What verify says of a publication is what its signed statement says: a row whose columns were changed after it
  // was signed (another file's hash, other approvers) is no publication.
  let st: PublicationStatement;
  let approvals: PublicationStatement['approvals'];
  try {
    st = JSON.parse(row.statement) as PublicationStatement;
    approvals = JSON.parse(row.approvals) as PublicationStatement['approvals'];
  } catch {
    return null;
  }
  if (st.type !== 'custody.publication' || st.id !== row.id || st.itemId !== row.item_id || st.sha256 !== row.output_sha256 || st.source !== row.source_sha256
    || st.publishedAt !== row.published_at || st.publishedBy !== row.published_by || !Array.isArray(st.approvals) || canonicalJson(st.approvals) !== canonicalJson(approvals)) return null;
  return { id: st.id, output: row.output_path, sha256: st.sha256, publishedAt: st.publishedAt, publishedBy: st.publishedBy, approvals: st.approvals.map((a) => ({ stage: a.stage, role: a.role, by: a.by, at: a.at })) };
}

/** The publication whose file has exactly these bytes, with a valid statement. */
export function publicationByBytes(db: ReadableDB, sha256: string): (PublicationSummary & { itemId: string }) | null {
  const row = findPublicationBySha256(db, sha256);
  const s = row ? summarise(db, row) : null;
  return s && row ? { ...s, itemId: row.item_id } : null;
}

/** The record's latest publication with a valid statement. */
export function latestPublication(db: ReadableDB, recordId: string): PublicationSummary | null {
  for (const row of listPublicationsOf(db, recordId)) {
    const s = summarise(db, row);
    if (s) return s;
  }
  return null;
}

export function signedSummary(record: SignedRecord): SignedSummary {
  const org = typeof record.details.org === 'string' ? record.details.org : '';
  return { org, keyId: record.keyId, signedAt: record.signedAt, input: record.inputName, output: record.outputPath };
}

/**
 * The verdict once the file's place in the record is known: its unsigned original is `original`, the published
 * file and copies of an item that was published are `published`; tampered and unknown stay what they are.
 */
export function verdictForFile(base: { verdict: Verdict; confidence: number }, f: { sha256: string; record: SignedRecord | null; publication: PublicationSummary | null }): { verdict: Verdict; confidence: number } {
  if (base.verdict === 'tampered' || base.verdict === 'unknown' || !f.record) return base;
  if (f.sha256 === f.record.sha256) return { verdict: 'original', confidence: 1 };
  if (f.publication && f.sha256 === f.publication.sha256) return { verdict: 'published', confidence: 1 };
  if (f.publication && base.verdict === 'derived') return { verdict: 'published', confidence: base.confidence };
  return base;
}
