// Publishing an approved item writes a new signed output: made from the item's signed output, recorded with the
// approvals (stages, approvers, times) in the database and the receipt, and signed by the org key as a
// publication statement. Like signing, it is written to a temporary file and renamed into place, and the database
// commit (publication row, workflow event, audit entry) happens in one transaction after the rename.
//
// C2PA: the manifest that adds the `c2pa.published` action and carries the approvals in the Custody assertion
// (core/c2pa, not wired into signing yet) belongs in renderPublished(); until then the published bytes are the
// signed output's bytes, and the statement below is what proves the approvals.
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { Signer } from '../crypto/keyring.ts';
import type { Role } from '../directory/roles.ts';
import { CustodyError } from '../errors.ts';
import { sha256Hex } from '../media/hash.ts';
import { commitOutput, type OutputTarget } from '../provenance/output.ts';
import type { WritableDB } from '../store/db.ts';
import type { SignedRecord } from '../store/records.ts';
import type { Approval } from './context.ts';
import { insertPublication } from './items.ts';

/** One approval as the C2PA Custody assertion records it (core/c2pa/custody-assertion.ts, `approvals`). */
export interface PublishedApproval {
  stage: string;
  role: Role;
  by: string;
  decision: 'approved';
  at: string;
}

export interface PublicationStatement {
  v: 1;
  type: 'custody.publication';
  id: string;
  org: string;
  itemId: string;
  /** SHA-256 of the signed output it was made from, and of the published file. */
  source: string;
  sha256: string;
  publishedAt: string;
  publishedBy: string;
  approvals: PublishedApproval[];
  keyId: string;
}

export interface PublishReceipt {
  publicationId: string;
  itemId: string;
  output: string;
  outputSha256: string;
  sourceSha256: string;
  publishedAt: string;
  publishedBy: string;
  approvals: PublishedApproval[];
  /** The canonical JSON (RFC 8785) the signature covers. */
  statement: string;
  signature: string;
  publicKey: string;
  keyId: string;
  org: string;
}

export interface PublishContext {
  db: WritableDB;
  signer: Signer;
  org: string;
  /** Joins the publication's transaction: the workflow event and its audit entry go here; a throw undoes all. */
  onPublished: (db: WritableDB, receipt: PublishReceipt) => void;
}

export const toPublishedApprovals = (approvals: readonly Approval[]): PublishedApproval[] =>
  approvals.map((a) => ({ stage: a.stage, role: a.role, by: a.by, decision: 'approved', at: a.at }));

/** NAME.published.EXT beside the signed output (or in outDir), NAME being the original's name. */
export function publishTarget(item: SignedRecord, outDir?: string): OutputTarget {
  if (!item.outputPath) throw new CustodyError('NOT_FOUND', `expected record ${item.id} to have a signed output to publish, got none`);
  const ext = extname(item.outputPath);
  return { dir: outDir ?? dirname(item.outputPath), name: `${basename(item.inputName, extname(item.inputName))}.published${ext}` };
}

/** The published file's bytes. The seam for the C2PA manifest (c2pa.published + approvals); today, a copy. */
export async function renderPublished(source: Uint8Array, _what: { item: SignedRecord; approvals: readonly PublishedApproval[]; publishedAt: string }): Promise<Uint8Array> {
  return source;
}

export async function publishItem(
  ctx: PublishContext,
  item: SignedRecord,
  p: { id: string; approvals: readonly PublishedApproval[]; publishedBy: string },
  target: OutputTarget,
  now: Date,
): Promise<PublishReceipt> {
  if (!item.outputPath || !item.outputSha256) throw new CustodyError('NOT_FOUND', `expected record ${item.id} to have a signed output to publish, got none`);
  let source: Uint8Array;
  try {
    source = await readFile(item.outputPath);
  } catch (e) {
    throw new CustodyError('NOT_FOUND', `expected the signed output of ${item.id} at ${item.outputPath}, got ${(e as NodeJS.ErrnoException).code ?? 'an unreadable file'}`);
  }
  const sourceSha256 = sha256Hex(source);
  if (sourceSha256 !== item.outputSha256) {
    throw new CustodyError('CORRUPT_MEDIA', `expected the signed output of ${item.id} (${item.outputPath}) to have SHA-256 ${item.outputSha256}, got ${sourceSha256}: it changed after signing`);
  }
  const publishedAt = now.toISOString();
  const bytes = await renderPublished(source, { item, approvals: p.approvals, publishedAt });
  const outputSha256 = sha256Hex(bytes);
  const statement: PublicationStatement = {
    v: 1,
    type: 'custody.publication',
    id: p.id,
    org: ctx.org,
    itemId: item.id,
    source: sourceSha256,
    sha256: outputSha256,
    publishedAt,
    publishedBy: p.publishedBy,
    approvals: [...p.approvals],
    keyId: ctx.signer.keyId,
  };
  const statementJson = canonicalJson(statement);
  const signature = Buffer.from(ctx.signer.sign(new TextEncoder().encode(statementJson))).toString('hex');
  const receipt: PublishReceipt = {
    publicationId: p.id,
    itemId: item.id,
    output: '',
    outputSha256,
    sourceSha256,
    publishedAt,
    publishedBy: p.publishedBy,
    approvals: [...p.approvals],
    statement: statementJson,
    signature,
    publicKey: Buffer.from(ctx.signer.publicKey).toString('hex'),
    keyId: ctx.signer.keyId,
    org: ctx.org,
  };
  receipt.output = await commitOutput(target, bytes, (finalPath) => {
    receipt.output = finalPath;
    ctx.db.transaction(() => {
      insertPublication(ctx.db, {
        id: p.id,
        item_id: item.id,
        output_path: finalPath,
        output_sha256: outputSha256,
        source_sha256: sourceSha256,
        approvals: JSON.stringify(p.approvals),
        published_at: publishedAt,
        published_by: p.publishedBy,
        statement: statementJson,
        signature,
        public_key: receipt.publicKey,
        key_id: ctx.signer.keyId,
      });
      ctx.onPublished(ctx.db, receipt);
    });
  });
  return receipt;
}
