// Publishing an approved item writes a new signed output: made from the item's signed output, recorded with the
// approvals (stages, approvers, times) in the database and the receipt, and signed by the org key as a
// publication statement. Like signing, it is written to a temporary file and renamed into place, and the database
// commit (publication row, workflow event, audit entry) happens in one transaction after the rename.
//
// C2PA: for JPEG, PNG, WebP and MP4 the published file carries a manifest whose parent is the signed output's (the coded
// image unchanged): `c2pa.opened`, `c2pa.published`, and the Custody assertion with the approvals. Formats without
// Content Credentials are published as a copy; the signed statement below proves the approvals either way.
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { CustodyAssertion } from '../c2pa/custody-assertion.ts';
import { embedManifest } from '../c2pa/embed.ts';
import { withoutManifestStore } from '../c2pa/jumbf.ts';
import { withoutMp4ManifestStore } from '../c2pa/mp4-store.ts';
import { CUSTODY_AGENT, type C2paMime } from '../c2pa/manifest.ts';
import { mlDsaCoSigner, pqDeclaration, type MlDsaKeyPair } from '../c2pa/mldsa.ts';
import { hasManifest } from '../c2pa/read.ts';
import type { C2paSigner } from '../c2pa/signer.ts';
import type { TimestampAddOn } from '../c2pa/timestamp.ts';
import { recordStampOutcome } from '../provenance/timestamps.ts';
import type { ImageFormat } from '../media/detect.ts';
import { C2PA_MIME } from '../provenance/sign-image.ts';
import { layoutBinding } from '../provenance/layout-signature.ts';
import { signedRecordMetadata } from '../provenance/metadata-signature.ts';
import { isEmptyMetadata } from '../media/photo-metadata.ts';
import type { Signer } from '../crypto/keyring.ts';
import type { Role } from '../directory/roles.ts';
import { CustodyError } from '../errors.ts';
import { sha256Hex } from '../media/hash.ts';
import { commitOutput, type OutputTarget } from '../provenance/output.ts';
import type { WritableDB } from '../store/db.ts';
import type { SignedRecord } from '../store/records.ts';
import { enqueuePublication } from '../sync/outbox.ts';
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
  /** The org's C2PA signer (null: no Content Credentials on this desk). */
  c2pa: { signer: C2paSigner; pq: MlDsaKeyPair | null; trustAnchorsPem: string; timestamp?: TimestampAddOn | null } | null;
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

/** The published file's bytes: the signed output with an update manifest adding `c2pa.published` and the approvals. */
export async function renderPublished(
  source: Uint8Array,
  what: { item: SignedRecord; approvals: readonly PublishedApproval[]; publishedAt: string; org: string; c2pa: PublishContext['c2pa'] },
): Promise<Uint8Array> {
  const mime: C2paMime | undefined = what.item.format === 'mp4' ? 'video/mp4' : C2PA_MIME[what.item.format as ImageFormat];
  if (!what.c2pa || !mime || !(await hasManifest(source, mime))) return source;
  const { item } = what;
  // the layout goes under the claim signature only as the record's key signed it (layout-signature.ts)
  const binding = layoutBinding(item);
  const layoutOfItem = binding.status === 'signed' || binding.status === 'legacy' ? binding.layout : null;
  const fields = signedRecordMetadata(item);
  const custody: CustodyAssertion = {
    version: 1,
    recordId: item.id,
    org: what.org,
    original: { sha256: item.sha256, phash: item.phash ?? '' },
    signedAt: item.signedAt,
    signer: { alg: 'Ed25519', publicKey: item.publicKey },
    signature: item.signature,
    approvals: what.approvals.map((a) => ({ stage: a.stage, role: a.role, by: a.by, decision: a.decision, at: a.at })),
    ...(what.c2pa.pq ? { pq: pqDeclaration(what.c2pa.pq) } : {}),
    ...(layoutOfItem ? { layout: layoutOfItem } : {}),
  };
  // A standard manifest over the same coded image with the signed output as its parentOf ingredient, rather than
  // an update manifest: a reader that does not stretch the parent's c2pa.hash.data exclusion over the grown store
  // (c2pa-ts; c2pa-rs itself for WebP) rejects an update manifest, while this one carries its own hard binding.
  return embedManifest(mime === 'video/mp4' ? withoutMp4ManifestStore(source) : withoutManifestStore(source, mime), mime, {
    intent: 'edit',
    parent: { bytes: source, mime, title: basename(item.outputPath ?? item.inputName) },
    title: basename(publishTarget(item).name),
    actions: [{ action: 'c2pa.published', when: what.publishedAt, softwareAgent: CUSTODY_AGENT }],
    custody,
    // the record's signed IPTC fields again, under this claim: a verifier takes only the active manifest's own
    ...(fields && !isEmptyMetadata(fields) ? { metadata: fields } : {}),
  }, what.c2pa.signer, {
    addOns: [...(what.c2pa.pq ? [mlDsaCoSigner(what.c2pa.pq, custody)] : []), ...(what.c2pa.timestamp ? [what.c2pa.timestamp] : [])],
    // the parent's validation, recorded in the ingredient, judged with the org's anchors: its own manifest is trusted
    trustAnchorsPem: what.c2pa.trustAnchorsPem,
  });
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
  const bytes = await renderPublished(source, { item, approvals: p.approvals, publishedAt, org: ctx.org, c2pa: ctx.c2pa });
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
      enqueuePublication(ctx.db, p.id, publishedAt);
      // The publication's own claim signature: its time-stamp, or the stamp to obtain later.
      const stamp = ctx.c2pa?.timestamp;
      if (stamp?.outcome) recordStampOutcome(ctx.db, item.id, 'published', stamp.url, stamp.outcome, now);
      ctx.onPublished(ctx.db, receipt);
    });
  });
  return receipt;
}
