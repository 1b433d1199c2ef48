// Shapes that cross a process boundary (IPC, HTTP, CLI), as zod schemas; the TypeScript types derive from them.
// This file: signing, verification and the library. workflow-schemas.ts and admin-schemas.ts hold the rest.
import { z } from 'zod';
import type { VerifyReport, VideoSegmentReport } from '../provenance/checks.ts';
import type { SignReceipt } from '../provenance/sign-image.ts';
import type { SignedRecord } from '../store/records.ts';
import { STATES } from '../workflow/context.ts';
import { anchorStateSchema } from './hub-schemas.ts';

export const checkSchema = z.looseObject({
  status: z.enum(['pass', 'fail', 'absent', 'skipped']),
  detail: z.string(),
});

type SegmentStatus = VideoSegmentReport['status'];

/** How a stretch of a verified video compares with the signed one (core/provenance/checks.ts). */
export const SEGMENT_STATUSES = ['match', 'similar', 'changed', 'missing', 'extra'] as const satisfies readonly SegmentStatus[];
type MissingStatus = Exclude<SegmentStatus, (typeof SEGMENT_STATUSES)[number]>;
// Fails to compile when the video core adds a status this list (and the UI's legend) does not know.
const _allStatuses: MissingStatus extends never ? true : never = true;
void _allStatuses;

export const segmentSchema = z.object({
  index: z.number().int().min(0),
  start: z.number().min(0),
  end: z.number().min(0),
  status: z.enum(SEGMENT_STATUSES),
});

const hubQuerySchema = z.object({ sha256: z.string().optional(), payload: z.string().optional(), phash: z.string().optional() });
/** The organisation's hub's answer for the copy, or why it was not reached (core/sync/hub-verify.ts). */
export const hubVerificationSchema = z.discriminatedUnion('reached', [
  z.object({
    reached: z.literal(true),
    url: z.string(),
    verdict: z.enum(['authentic', 'derived', 'tampered', 'unknown']),
    confidence: z.number(),
    record: z.object({
      id: z.string(), org: z.string(), desk: z.object({ id: z.string(), name: z.string(), revokedAt: z.string().nullable() }),
      signedAt: z.string(), receivedAt: z.string(), kind: z.string(), manifestId: z.string().nullable(),
    }).nullable(),
    matches: z.array(z.object({ signal: z.string(), distance: z.number(), recordId: z.string(), desk: z.string() })),
    otherDesk: z.boolean(),
    summary: z.string(),
    sent: hubQuerySchema,
  }),
  z.object({ reached: z.literal(false), url: z.string().nullable(), reason: z.string(), summary: z.string() }),
]);

/** The IPTC fields (core/media/photo-metadata.ts), as results carry them: already cleaned and bounded. */
export const photoMetadataSchema = z.object({
  headline: z.string().optional(), caption: z.string().optional(), creator: z.string().optional(), credit: z.string().optional(),
  copyright: z.string().optional(), city: z.string().optional(), sublocation: z.string().optional(), state: z.string().optional(),
  country: z.string().optional(), keywords: z.array(z.string()).optional(), digitalSourceType: z.string().optional(),
});

/**
 * A signer's edits, as arguments carry them: text per field (an empty string or null clears the file's value),
 * keywords as a list. Sizes are bounded here coarsely and exactly by core's normaliseMetadata.
 */
export const metadataEditsSchema = z.strictObject({
  headline: z.string().max(4096).nullable().optional(), caption: z.string().max(16_384).nullable().optional(),
  creator: z.string().max(4096).nullable().optional(), credit: z.string().max(4096).nullable().optional(),
  copyright: z.string().max(4096).nullable().optional(), city: z.string().max(4096).nullable().optional(),
  sublocation: z.string().max(4096).nullable().optional(), state: z.string().max(4096).nullable().optional(),
  country: z.string().max(4096).nullable().optional(), keywords: z.array(z.string().max(256)).max(256).nullable().optional(),
  digitalSourceType: z.string().max(200).nullable().optional(),
});

export const verifyReportSchema = z.object({
  file: z.string(),
  format: z.string(),
  verdict: z.enum(['authentic', 'original', 'published', 'derived', 'tampered', 'unknown']),
  confidence: z.number().min(0).max(1),
  recordId: z.string().nullable(),
  checks: z.object({
    sha256: checkSchema,
    signature: checkSchema,
    watermark: checkSchema,
    phash: checkSchema,
    c2pa: checkSchema,
    anchor: checkSchema,
    layout: checkSchema.optional(),
  }),
  /** Images: the areas whose content changed, in the signed original's pixels. */
  regions: z.array(z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number(), kind: z.enum(['changed', 'smoothed', 'global']) })).optional(),
  original: z.object({ width: z.number(), height: z.number() }).optional(),
  summary: z.string().optional(),
  /** Who signed the record, when, with which desk key. */
  signed: z.object({ org: z.string(), keyId: z.string(), signedAt: z.string(), input: z.string(), output: z.string().nullable() }).optional(),
  /** The record's publication: the published file, who published and approved it, when. */
  publication: z.object({
    id: z.string(), output: z.string(), sha256: z.string(), publishedAt: z.string(), publishedBy: z.string(),
    approvals: z.array(z.object({ stage: z.string(), role: z.string(), by: z.string(), at: z.string() })),
  }).optional(),
  footprint: z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }).optional(),
  /** Videos: the signed segments in time order, each with how the verified copy compares. */
  segments: z.array(segmentSchema).optional(),
  /** Videos: the copy's segment hash chain equals the signed one. */
  chainIntact: z.boolean().optional(),
  /** Videos: the stretches not traced to the signed video, merged (signed time; 'extra' in the copy's time). */
  changedRanges: z.array(z.object({ start: z.number(), end: z.number(), status: z.enum(['changed', 'missing', 'extra']) })).optional(),
  metadata: z.object({ fields: photoMetadataSchema, source: z.enum(['credentials', 'record', 'file']) }).optional(),
  hub: hubVerificationSchema.optional(),
  /** Who signed the matched record: the user (for the desk's own users only) and the desk's name at the hub. */
  signer: z.object({ user: z.string().nullable(), desk: z.string().nullable() }).optional(),
});

// Fails to compile when core's report grows a field in a shape this schema would refuse.
const _reportFits = (r: VerifyReport): z.input<typeof verifyReportSchema> => r;
void _reportFits;

export const receiptSchema = z.object({
  recordId: z.string(),
  input: z.string(),
  output: z.string(),
  format: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  sha256: z.string(),
  outputSha256: z.string(),
  phash: z.string(),
  payload: z.string().nullable(),
  watermark: z.object({ status: z.enum(['embedded', 'skipped']), algorithm: z.string(), reason: z.string().optional() }),
  c2pa: z.object({ status: z.enum(['embedded', 'skipped']), reason: z.string().optional(), pq: z.boolean(), timestamp: z.enum(['embedded', 'queued']).optional() }),
  video: z.object({ durationSec: z.number(), fps: z.number(), codec: z.string(), sampleRate: z.number(), segments: z.number().int(), chainHash: z.string() }).optional(),
  metadata: photoMetadataSchema.optional(),
  iimTruncated: z.array(z.string()).optional(),
  fingerprint: z.string(),
  signature: z.string(),
  publicKey: z.string(),
  keyId: z.string(),
  signedAt: z.string(),
  org: z.string(),
});

export const recordSchema = z.object({
  id: z.string(),
  kind: z.enum(['image', 'video', 'segment']),
  parentId: z.string().nullable(),
  inputName: z.string(),
  inputPath: z.string().nullable(),
  outputPath: z.string().nullable(),
  format: z.string(),
  width: z.number().nullable(),
  height: z.number().nullable(),
  sha256: z.string(),
  outputSha256: z.string().nullable(),
  phash: z.string().nullable(),
  payload: z.string().nullable(),
  watermark: z.string(),
  fingerprint: z.string(),
  signature: z.string(),
  publicKey: z.string(),
  keyId: z.string(),
  signedAt: z.string(),
  details: z.record(z.string(), z.unknown()),
});

export const workflowStateSchema = z.enum(STATES);

/** A library row: the record, where it stands in the workflow (null: never submitted) and with the hub. */
export const libraryItemSchema = recordSchema.extend({
  workflow: z.object({ state: workflowStateSchema, stage: z.string().nullable(), updatedAt: z.string() }).nullable(),
  anchor: anchorStateSchema,
});

// Fail to compile when core's receipt or record grows a field in a shape these schemas would refuse.
const _receiptFits = (r: SignReceipt): z.input<typeof receiptSchema> => r;
const _recordFits = (r: SignedRecord): z.input<typeof recordSchema> => r;
void _receiptFits;
void _recordFits;

export const signingKeySchema = z.object({
  id: z.string(),
  algorithm: z.literal('ed25519'),
  publicKey: z.string(),
  createdAt: z.string(),
  retiredAt: z.string().nullable(),
});

export const errorSchema = z.object({ code: z.string(), message: z.string() });
