// Batches are counted before zod validates their items (preValidation hooks): a request with too many is refused with
// BATCH_TOO_LARGE, the code ingest and the verifier answer, without a validation pass over every item first. The
// schemas carry the same maxima, so the OpenAPI document states them (maxItems).
import type { FastifyRequest } from 'fastify';
import { CustodyError } from '../../core/errors.ts';
import { MAX_INGEST_BATCH } from '../ingest/ingest.ts';
import { MAX_BATCH_QUERIES, MAX_QUERY_SEGMENTS } from '../verify/service.ts';

function refuseLong(items: unknown, max: number, what: string): void {
  if (Array.isArray(items) && items.length > max) throw new CustodyError('BATCH_TOO_LARGE', `expected at most ${max} ${what}, got ${items.length}`);
}

const member = (body: unknown, field: string): unknown => (body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined);

/** POST /v1/records: its records. */
export async function ingestBatchLimit(req: FastifyRequest): Promise<void> {
  refuseLong(member(req.body, 'records'), MAX_INGEST_BATCH, 'records in one batch');
}

/** POST /v1/verify: the query's segment pHashes. */
export async function verifyQueryLimit(req: FastifyRequest): Promise<void> {
  refuseLong(member(req.body, 'segments'), MAX_QUERY_SEGMENTS, 'segment pHashes');
}

/** POST /v1/verify/batch: its queries, and each one's segment pHashes. */
export async function verifyBatchLimit(req: FastifyRequest): Promise<void> {
  const queries = member(req.body, 'queries');
  refuseLong(queries, MAX_BATCH_QUERIES, 'queries in one batch');
  if (Array.isArray(queries)) for (const q of queries) refuseLong(member(q, 'segments'), MAX_QUERY_SEGMENTS, 'segment pHashes');
}
