// The checks every verification reports the same way, whatever the medium: exact bytes, the record's signature,
// and the Content Credentials.
import { vouchesFor } from './record-binding.ts';
import { readRawManifests } from '../c2pa/jumbf.ts';
import { checkPqCoSignature, type PqResult, type RegisteredPqKey } from '../c2pa/mldsa.ts';
import type { C2paMime } from '../c2pa/manifest.ts';
import type { CustodyAssertion } from '../c2pa/custody-assertion.ts';
import { readManifest, type ManifestReport } from '../c2pa/read.ts';
import { verify as verifyEd25519 } from '../crypto/ed25519.ts';
import { listSigningKeys } from '../crypto/keyring.ts';
import type { Limits } from '../media/detect.ts';
import type { ReadableDB } from '../store/db.ts';
import { getRecord, type SignedRecord } from '../store/records.ts';
import { PHASH_MAX_DISTANCE, type Check } from './checks.ts';
import { layoutBinding } from './layout-signature.ts';
import { chainsTo, timestampResult } from './verify-timestamp.ts';

export interface VerifyContext {
  db: ReadableDB;
  limits: Limits;
  /** PEM bundle of the roots a manifest may chain to (the org root and the configured trust list). */
  trustAnchorsPem: string;
  /** The ML-DSA-65 keys a co-signature may be made with: the org's own and those pinned with trusted roots. */
  pqKeys: readonly RegisteredPqKey[];
  /** PEM bundle of the TSA roots a time-stamp may chain to; null when none is configured. */
  tsaAnchorsPem: string | null;
  /** A photo's watermark searched for deeper when the usual search finds none (`custody verify --deep`): slower. */
  deepWatermark?: boolean;
}

/** Exact bytes: the signed output, its original, or a publication of it. */
export function exactBytesCheck(exact: SignedRecord | null, record: SignedRecord | null, sha256: string, published: { id: string; itemId: string; publishedAt: string } | null = null): Check {
  if (exact) {
    const which = exact.sha256 === sha256 ? 'original' : 'output';
    return {
      status: 'pass', recordId: exact.id, matched: which, sha256,
      detail: which === 'original'
        ? `these are the exact bytes of the unsigned file record ${exact.id} was signed from (not the signed version)`
        : `these are the exact bytes of the file signed as record ${exact.id}`,
    };
  }
  if (published) {
    return { status: 'pass', recordId: published.itemId, matched: 'published', publicationId: published.id, sha256, detail: `these are the exact bytes of the version of record ${published.itemId} published on ${published.publishedAt}` };
  }
  return record
    ? { status: 'fail', recordId: record.id, sha256, detail: `the bytes differ from record ${record.id}'s original and signed output` }
    : { status: 'absent', sha256, detail: 'no signed file on this desk has these exact bytes' };
}

/** What ties the file being verified to a record, for the signature check. */
export interface FileBinding {
  /** SHA-256 of the file being verified. */
  sha256: string;
  /** The Content Credentials check, with the Custody assertion of the manifest that carries it. */
  c2pa: C2paResult;
  /** pHash distance between the file and the record (null for video, or when not computed). */
  phashDistance: number | null;
  /** The publication whose file has exactly these bytes (its statement is signed by an org key). */
  published?: { id: string; itemId: string } | null;
}

/**
 * The record's Ed25519 signature over its fingerprint, by one of this desk's keys — and whether it binds the file
 * being verified. A record's signature is about its original and signed output; it speaks for another file only
 * through the file's own trusted Content Credentials, signed by the organisation the record names, when they carry
 * this very record (vouchedCustody).
 * Anything else (a re-encoded copy, or a forgery that copied a genuine assertion) gets `absent`, with the
 * record's own signature reported as `recordSignature`, never `pass`.
 */
export function signatureCheck(db: ReadableDB, record: SignedRecord | null, file: FileBinding): Check {
  if (!record) return { status: 'absent', detail: 'no record to check a signature against' };
  const ok = verifyEd25519(Buffer.from(record.signature, 'hex'), new TextEncoder().encode(record.fingerprint), Buffer.from(record.publicKey, 'hex'));
  if (!ok) return { status: 'fail', keyId: record.keyId, detail: `the signature of record ${record.id} does not verify: the record was altered` };
  const layout = layoutBinding(record);
  if (layout.status === 'invalid') return { status: 'fail', reason: layout.reason, keyId: record.keyId, detail: layout.detail };
  const orgKey = listSigningKeys(db).some((k) => k.publicKey === record.publicKey);
  if (!orgKey) return { status: 'fail', keyId: record.keyId, orgKey, detail: `the signature verifies, but key ${record.keyId} is not one of this desk's keys` };
  // the hashes as the record's signed data give them, not as its columns say (record-binding.ts)
  if (vouchesFor(db, record, file.sha256)) {
    return { status: 'pass', keyId: record.keyId, orgKey, binds: 'exact-bytes', detail: `record ${record.id} is signed by org key ${record.keyId}, over these exact bytes` };
  }
  if (file.published?.itemId === record.id) {
    return { status: 'pass', keyId: record.keyId, orgKey, binds: 'publication', detail: `record ${record.id} is signed by org key ${record.keyId}, and the organisation's signed publication statement covers these exact bytes` };
  }
  const custody = vouchedCustody(file.c2pa, record);
  const carried = custody !== null && custody.original.sha256 === record.sha256 && custody.signedAt === record.signedAt &&
    (file.phashDistance === null || file.phashDistance <= PHASH_MAX_DISTANCE);
  if (carried) {
    return { status: 'pass', keyId: record.keyId, orgKey, binds: 'content-credentials', detail: `record ${record.id} is signed by org key ${record.keyId}, and this file's trusted Content Credentials carry it` };
  }
  return {
    status: 'absent',
    reason: 'NOT_BOUND_TO_FILE',
    keyId: record.keyId,
    recordSignature: 'valid',
    detail: `record ${record.id}'s own signature holds, but it covers the signed file, not these bytes, and no trusted Content Credentials of this file carry it`,
  };
}

export interface C2paResult {
  check: Check;
  /** The record the active manifest's own Custody assertion names, when the manifest is valid (never a parent's). */
  recordId: string | null;
  manifest: ManifestReport | null;
}

/**
 * The Custody assertion of the active manifest itself: null when it has none, even if a parent manifest has one.
 * Only the active claim is judged whole (its signer, its trust, its co-signature); a parent's assertion says what
 * someone else signed before this claim took that file in as an ingredient.
 */
export function activeCustody(m: ManifestReport | null): CustodyAssertion | null {
  return m?.custody && m.custodyManifestLabel === m.manifestLabel ? m.custody : null;
}

/**
 * The active manifest's Custody assertion when these Content Credentials vouch for `record`: they pass (valid,
 * trusted, co-signed where required), the assertion is this record's (its id and signature), it names the
 * organisation the record was signed for, and the credentials' signing certificate names that organisation too (its
 * subject O). A trust anchor vouches for whom it certifies, not for every organisation: a partner's certificate,
 * trusted for the partner's own files, cannot make a copy carry this desk's record (nor its layout), whatever org
 * the copied assertion is made to name. A record that does not say which organisation it was signed for is vouched
 * for by nobody.
 */
export function vouchedCustody(c2pa: C2paResult, record: SignedRecord): CustodyAssertion | null {
  const custody = activeCustody(c2pa.manifest);
  if (c2pa.check.status !== 'pass' || !custody || custody.recordId !== record.id || custody.signature !== record.signature) return null;
  const org = typeof record.details.org === 'string' ? record.details.org : null;
  return org !== null && custody.org === org && c2pa.manifest?.signer.organization === org ? custody : null;
}

const PQ_WORDS = { pass: 'pass', fail: 'fail', absent: 'absent' } as const;

/**
 * The C2PA check: present, valid (content matches its credentials), trusted (chains to an anchor), and in hybrid
 * mode an ML-DSA-65 co-signature by the org's registered key over this very claim — the active one, never a
 * parent's. A record signed with a co-signature whose file has lost it was downgraded; an edit of a hybrid-signed
 * file that carries no co-signature of its own fails the same way.
 */
export async function c2paCheck(bytes: Uint8Array, mime: C2paMime | null, format: string, ctx: Pick<VerifyContext, 'db' | 'trustAnchorsPem' | 'pqKeys' | 'tsaAnchorsPem'>): Promise<C2paResult> {
  if (!mime) return { check: { status: 'skipped', reason: 'FORMAT_NOT_SUPPORTED_BY_C2PA', detail: `Content Credentials are not read from ${format.toUpperCase()} files` }, recordId: null, manifest: null };
  // c2pa-rs judges a time-stamp's TSA with the same trust list as the signer: the TSA roots join it for the read,
  // and a manifest is trusted only when its own chain ends at one of the org's anchors (below).
  const tsaRoots = ctx.tsaAnchorsPem?.trim() ? ctx.tsaAnchorsPem : null;
  const m = await readManifest(bytes, mime, { trustAnchorsPem: tsaRoots ? `${ctx.trustAnchorsPem}\n${tsaRoots}` : ctx.trustAnchorsPem });
  if (!m) return { check: { status: 'absent', detail: 'the file carries no Content Credentials' }, recordId: null, manifest: null };
  const raws = readRawManifests(bytes, mime);
  // The desk's own checks (co-signature, TSA-root guard, time-stamp) must read the very manifest c2pa-rs validated:
  // the last of the store, and the only one with its label. Anything else is refused (storeProblem) rather than guessed.
  const storeProblem = activeManifestProblem(raws, m.manifestLabel);
  const active = storeProblem ? null : (raws?.at(-1) ?? null);
  if (m.trusted && tsaRoots && !(active && (await chainsTo(active, ctx.trustAnchorsPem)))) Object.assign(m, { trusted: false, validationState: 'Valid' });
  const ts = await timestampResult(active, ctx.db, tsaRoots);
  const own = activeCustody(m);
  // the parent's assertion, when the active manifest is an edit of a Custody file made by another claim
  const edited = own ? null : m.custody;
  let pq: PqResult = checkPqCoSignature(null, null, []);
  if (own) {
    pq = checkPqCoSignature(active, own, ctx.pqKeys);
    const signedWithPq = own.pq === undefined && recordSignedWithPq(ctx.db, own.recordId, own.signature);
    if (signedWithPq) pq = { status: 'fail', reason: 'PQ_STRIPPED', detail: `record ${own.recordId} was signed with an ML-DSA-65 co-signature, and these credentials have none: it was removed` };
    // no co-signature for a record this desk does not hold signed without one, in a hybrid org's name
    else if (own.pq === undefined && !recordSignedClassically(ctx.db, own.recordId, own.signature)) pq = hybridWithoutPq([own.org, m.signer.organization], ctx) ?? pq;
  } else if (edited) {
    pq = editPq(edited, ctx);
  } else {
    // no Custody assertion at all, in a claim a hybrid org's certificate signed
    pq = hybridWithoutPq([m.signer.organization], ctx) ?? pq;
  }
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
    ...(edited ? { custodyIn: 'parent', editOf: edited.recordId } : {}),
    pqSignature: PQ_WORDS[pq.status],
    ...(pq.status === 'pass' ? {} : { pqReason: pq.reason }),
    pqDetail: pq.detail,
    timestamp: { status: ts.status, ...(ts.status === 'pass' ? {} : { reason: ts.reason }), ...(ts.facts ?? {}), detail: ts.detail },
  };
  // a parent's record id does not trace the file: the active claim, made by someone else, is what binds these bytes
  const recordId = m.valid ? (own?.recordId ?? null) : null;
  const result = (check: Check): C2paResult => ({ check, recordId, manifest: m });
  if (!m.valid) {
    return result({ status: 'fail', ...evidence, detail: `the Content Credentials no longer match the content (${m.validationCodes.join(', ') || m.error || 'invalid'})` });
  }
  if (storeProblem) return result({ status: 'fail', reason: 'C2PA_STORE_AMBIGUOUS', ...evidence, detail: `the Content Credentials cannot be checked: ${storeProblem}` });
  if (pq.status === 'fail') return result({ status: 'fail', ...evidence, detail: `the post-quantum co-signature fails: ${pq.detail}` });
  if (!m.trusted) return result({ status: 'fail', ...evidence, detail: `valid Content Credentials signed by ${who}, a signer this desk does not trust` });
  const edit = edited ? `; ${who} made this file from Custody record ${edited.recordId} (a parent manifest's), which does not vouch for the edit` : '';
  const foreign = own && m.signer.organization !== own.org ? `; its Custody assertion names ${own.org}, for whom ${who} cannot vouch, so it speaks for no record` : '';
  return result({ status: 'pass', ...evidence, detail: `valid Content Credentials signed by ${who}, trusted${pq.status === 'pass' ? `, with ${pq.detail}` : ''}${ts.status === 'pass' ? `, ${ts.detail}` : ''}${edit}${foreign}` });
}

/**
 * Why the raw manifests read by the desk (jumbf.ts) cannot be taken for the active manifest c2pa-rs validated, or
 * null when the last manifest of the store is the only one with the active label. A store with no manifest the
 * desk can read gives null too: the checks that need the raw bytes then fail closed on their own (no co-signature
 * to check, no chain for the TSA-root guard).
 */
function activeManifestProblem(raws: readonly { label: string }[] | null, label: string): string | null {
  if (!raws || raws.length === 0) return null;
  const same = raws.filter((r) => r.label === label).length;
  if (same > 1) return `the manifest store holds ${same} manifests labelled ${label}, the active manifest's label, so which one was validated is ambiguous`;
  if (raws.at(-1)!.label !== label) return `the active manifest ${label} is not the last manifest of the store`;
  return null;
}

/**
 * The co-signature of an active manifest that carries no Custody assertion while a parent does: an edit of a Custody
 * file by another claim. A parent's co-signature covers the parent's claim, not this one, so the active claim has
 * none (`absent`); it `fail`s when hybrid mode was expected of it: the parent declares a co-signature, this desk
 * recorded the record as co-signed, or the org the record names has a registered ML-DSA-65 key (a hybrid org).
 */
function editPq(parent: CustodyAssertion, ctx: Pick<VerifyContext, 'db' | 'pqKeys'>): PqResult {
  const base = `the active manifest has no Custody assertion or ML-DSA-65 co-signature of its own: it is an edit of record ${parent.recordId}, and the co-signature of a parent manifest does not cover this claim`;
  const hybrid = parent.pq !== undefined
    ? `the record's own credentials declare a co-signature`
    : recordSignedWithPq(ctx.db, parent.recordId, parent.signature)
      ? `record ${parent.recordId} was signed with one`
      : ctx.pqKeys.some((k) => k.org === parent.org)
        ? `${parent.org} signs in hybrid mode (its ML-DSA-65 key is registered here)`
        : null;
  return hybrid
    ? { status: 'fail', reason: 'PQ_EDIT_NOT_COSIGNED', detail: `${base}, and ${hybrid}: an edit that only a classical key signed is not accepted` }
    : { status: 'absent', reason: 'PQ_ABSENT', detail: base };
}

/**
 * A claim with no ML-DSA-65 co-signature of its own, made in the name of (or with the certificate of) an org that signs
 * in hybrid mode: its ML-DSA-65 key is registered here, so a claim only its classical key signed is what a thief of
 * that key would make (docs/pq-cosignature.md). Null when none of `orgs` is hybrid.
 */
function hybridWithoutPq(orgs: readonly (string | null | undefined)[], ctx: Pick<VerifyContext, 'pqKeys'>): PqResult | null {
  const org = orgs.find((o) => o && ctx.pqKeys.some((k) => k.org === o));
  return org
    ? { status: 'fail', reason: 'PQ_SIGNATURE_MISSING', detail: `${org} signs in hybrid mode (its ML-DSA-65 key is registered here), and this claim carries no ML-DSA-65 co-signature of its own: a claim only a classical key signed is not accepted` }
    : null;
}

/** The record is this desk's, with this signature, and was signed without a co-signature (before hybrid mode). */
function recordSignedClassically(db: ReadableDB, recordId: string, signature: string | undefined): boolean {
  const record = getRecord(db, recordId);
  return record !== null && record.signature === signature && !recordSignedWithPq(db, recordId, signature);
}

function recordSignedWithPq(db: ReadableDB, recordId: string, signature: string | undefined): boolean {
  const record = getRecord(db, recordId);
  if (!record || record.signature !== signature) return false;
  const c2pa = (record.details as { c2pa?: { pq?: unknown } } | null)?.c2pa;
  return c2pa?.pq === true;
}
