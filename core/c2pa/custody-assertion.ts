// The Custody provenance assertion (`org.custody.provenance`, an entity-specific label per C2PA spec §6.2.1):
// what the desk recorded when it signed the file, carried inside the C2PA manifest so that a copy found in the wild
// names its record even without the desk database. Also the canonical fingerprint bytes the record's Ed25519 signature
// covers.
import { z } from 'zod';
import { CustodyError } from '../errors.ts';
import { LAYOUT_PATTERN } from '../media/layout.ts';

export const CUSTODY_ASSERTION_LABEL = 'org.custody.provenance';

const hex = (chars: number, what: string) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${chars}}$`), `expected ${what} as ${chars} lowercase hex characters`);
/** `Date.prototype.toISOString()` output exactly, so that the fingerprint has one spelling per instant. */
const isoInstant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'expected an ISO-8601 UTC instant like 2025-01-31T09:30:00.000Z');

const approvalShape = {
  stage: z.string().min(1).max(200),
  role: z.string().min(1).max(200),
  by: z.string().min(1).max(200),
  decision: z.literal('approved'),
  at: isoInstant,
};

const assertionShape = {
  version: z.literal(1),
  recordId: z.string().min(1).max(200),
  org: z.string().min(1).max(200),
  original: z.strictObject({
    sha256: hex(64, 'the SHA-256 of the original file'),
    /** The 64-bit pHash of an image (16 hex), or the final segment-chain hash of a video (64 hex). */
    phash: z.union([hex(16, 'a 64-bit pHash'), hex(64, 'a video segment-chain hash')]),
  }),
  /** The fingerprint's timestamp. */
  signedAt: isoInstant,
  signer: z.strictObject({ alg: z.literal('Ed25519'), publicKey: hex(64, 'an Ed25519 public key') }),
  /** Ed25519 over `fingerprintBytes` of this assertion. */
  signature: hex(128, 'an Ed25519 signature').optional(),
  /**
   * Hybrid mode: the ML-DSA-65 (FIPS 204) key that co-signs this claim. The co-signature covers the claim and this
   * assertion, so it cannot sit inside them: it is the `custody.pq` header of the claim signature (mldsa.ts).
   */
  pq: z
    .strictObject({
      alg: z.literal('ML-DSA-65'),
      publicKey: hex(1952 * 2, 'an ML-DSA-65 public key'),
    })
    .optional(),
  approvals: z.array(z.strictObject(approvalShape)).max(100).optional(),
  /**
   * Images: the picture's layout (core/media/layout.ts, `L1:<w>x<h>:<base64>`), so that a verifier holding only the
   * file can locate a local edit in a copy. Optional: credentials written before it verify as they did.
   */
  layout: z.string().max(40_000).regex(LAYOUT_PATTERN, 'expected a picture layout L1:<w>x<h>:<base64>').optional(),
};

/** Strict: what the desk writes. */
export const CustodyAssertionSchema = z.strictObject(assertionShape);
/** Tolerant of fields added by later versions: what a reader accepts. */
const CustodyAssertionReadSchema = z.looseObject(assertionShape);

export type CustodyAssertion = z.infer<typeof CustodyAssertionSchema>;
export type CustodyApproval = NonNullable<CustodyAssertion['approvals']>[number];

/** Checks an assertion before it is written; the message lists every problem with its path. */
export function validateCustodyAssertion(x: unknown): CustodyAssertion {
  const r = CustodyAssertionSchema.safeParse(x);
  if (!r.success) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a valid ${CUSTODY_ASSERTION_LABEL} assertion: ${describeIssues(r.error)}`);
  }
  return r.data;
}

/** Parses an assertion read from a manifest; the reason when it is not one Custody understands. */
export function parseCustodyAssertion(x: unknown): { assertion: CustodyAssertion; problem: null } | { assertion: null; problem: string } {
  const r = CustodyAssertionReadSchema.safeParse(x);
  if (r.success) return { assertion: r.data as CustodyAssertion, problem: null };
  return { assertion: null, problem: describeIssues(r.error) };
}

function describeIssues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

export interface FingerprintFields {
  /** SHA-256 of the original bytes, 64 lowercase hex. */
  sha256: string;
  /** pHash (16 hex) or video segment-chain hash (64 hex). */
  phash: string;
  /** ISO-8601 UTC instant as `toISOString()` writes it. */
  timestamp: string;
  /** The desk's Ed25519 public key, 64 lowercase hex. */
  signer: string;
}

const FIELD_RULES: Record<keyof FingerprintFields, RegExp> = {
  sha256: /^[0-9a-f]{64}$/,
  phash: /^(?:[0-9a-f]{16}|[0-9a-f]{64})$/,
  timestamp: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
  signer: /^[0-9a-f]{64}$/,
};

/**
 * The canonical bytes of a fingerprint (DESIGN.md "Sign (image)"): UTF-8 of `sha256|phash|timestamp|signer`.
 * Every field has a fixed alphabet without `|`, so the joined string is unambiguous.
 */
export function fingerprintBytes(f: FingerprintFields): Uint8Array {
  for (const k of Object.keys(FIELD_RULES) as (keyof FingerprintFields)[]) {
    const v: unknown = f[k];
    if (typeof v !== 'string' || !FIELD_RULES[k].test(v)) {
      throw new CustodyError('INVALID_ARGUMENT', `expected fingerprint field ${k} to match ${FIELD_RULES[k].source}, got ${JSON.stringify(v)}`);
    }
  }
  return new TextEncoder().encode(`${f.sha256}|${f.phash}|${f.timestamp}|${f.signer}`);
}

/** The fingerprint fields an assertion carries. */
export function fingerprintOf(a: CustodyAssertion): FingerprintFields {
  return { sha256: a.original.sha256, phash: a.original.phash, timestamp: a.signedAt, signer: a.signer.publicKey };
}
