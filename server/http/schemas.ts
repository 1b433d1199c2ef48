// The hub API's shapes: zod schemas that validate requests and responses and generate the OpenAPI document.
import { z } from 'zod';
import { SCOPES } from '../auth/principal.ts';
import { MAX_QUERY_SEGMENTS } from '../verify/service.ts';

export const hex = (chars: number, what: string) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${chars}}$`), `expected ${what} as ${chars} lowercase hex characters`);

export const TenantSchema = z.object({ id: z.string(), name: z.string(), records: z.number(), createdAt: z.string() }).meta({ id: 'Tenant' });

export const ApiKeySchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  deskId: z.string().nullable(),
  label: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  createdAt: z.string(),
  createdBy: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
}).meta({ id: 'ApiKey' });

export const DeskSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  keys: z.array(z.object({ publicKey: z.string(), keyId: z.string(), addedAt: z.string() })),
  hasC2paRoot: z.boolean(),
  enrolledAt: z.string(),
  revokedAt: z.string().nullable(),
}).meta({ id: 'Desk' });

export const RecordSummarySchema = z.object({
  id: z.string(),
  kind: z.enum(['image', 'video', 'segment']),
  tenantId: z.string(),
  org: z.string(),
  desk: z.object({ id: z.string(), name: z.string(), revokedAt: z.string().nullable() }),
  signedAt: z.string(),
  receivedAt: z.string(),
  publicKey: z.string(),
  sha256: z.string(),
  outputSha256: z.string().nullable(),
  phash: z.string(),
  payload: z.string().nullable(),
  parentId: z.string().nullable(),
  segmentIndex: z.number().nullable(),
  manifestId: z.string().nullable(),
  seq: z.number(),
}).meta({ id: 'Record' });

export const CheckSchema = z.looseObject({
  status: z.enum(['pass', 'fail', 'absent', 'skipped']),
  detail: z.string(),
}).meta({ id: 'Check', description: 'One signal: its status, a sentence for people, and its evidence (recordId, distance, …)' });

export const VerifyQuerySchema = z.strictObject({
  sha256: hex(64, 'a SHA-256 of the file').optional(),
  payload: hex(32, 'a 128-bit watermark payload').optional(),
  phash: hex(16, 'a 64-bit pHash').optional(),
  payloadMatched: z.literal(true).optional().meta({ description: "The payload was not read: the copy's mark was too faint to read blind, and its record's whole pattern was matched in it (the desk's verify). The watermark check says so and counts as a reading at the largest distance taken (6 of 128 bits), not at the distance between the two payloads" }),
  segments: z.array(hex(16, 'a segment pHash')).max(MAX_QUERY_SEGMENTS).optional().meta({ description: "A video's segment pHashes in order (bitwise majority of each 5-second segment's frame pHashes)" }),
}).meta({ id: 'VerifyQuery' });

export const VerifyAnswerSchema = z.object({
  verdict: z.enum(['authentic', 'derived', 'tampered', 'unknown']),
  confidence: z.number(),
  record: RecordSummarySchema.nullable(),
  checks: z.object({
    sha256: CheckSchema, signature: CheckSchema, watermark: CheckSchema, phash: CheckSchema, c2pa: CheckSchema, anchor: CheckSchema, segments: CheckSchema.optional(),
  }),
  matches: z.array(z.object({
    signal: z.enum(['sha256', 'watermark', 'phash', 'segments']),
    distance: z.number(),
    matched: z.literal(true).optional().meta({ description: 'a watermark payload matched in the copy, not read from it (the query\'s payloadMatched): its distance is between the two payloads, not bits read' }),
    record: RecordSummarySchema,
  })),
  publication: z.object({ id: z.string(), recordId: z.string(), publishedAt: z.string(), publishedBy: z.string() }).optional()
    .meta({ description: "The publication whose file has exactly the query's bytes (the organisation's published version of the record)" }),
  video: z.object({
    recordId: z.string(),
    segmentCount: z.number(),
    coverage: z.number(),
    aligned: z.array(z.object({ query: z.number(), segment: z.number(), distance: z.number() })),
  }).optional(),
}).meta({ id: 'VerifyAnswer' });

export const IngestResultSchema = z.object({
  id: z.string(),
  status: z.enum(['accepted', 'replayed']),
  seq: z.number(),
  receivedAt: z.string(),
}).meta({ id: 'IngestResult' });

export const HistorySchema = z.object({
  record: RecordSummarySchema,
  events: z.array(z.object({ at: z.string(), event: z.string(), actor: z.string(), detail: z.record(z.string(), z.unknown()) })),
  segments: z.array(z.object({ id: z.string(), index: z.number().nullable() })),
}).meta({ id: 'RecordHistory' });
