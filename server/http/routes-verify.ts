// The REST verification routes of an organisation (verify scope): one query, a batch, a record's history.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CustodyError } from '../../core/errors.ts';
import { recordById } from '../verify/records.ts';
import { MAX_BATCH_QUERIES } from '../verify/service.ts';
import { verifyBatchLimit, verifyQueryLimit } from './batch-limits.ts';
import type { Gate, HubContext } from './context.ts';
import { errorResponses } from './errors.ts';
import { HistorySchema, VerifyAnswerSchema, VerifyQuerySchema } from './schemas.ts';

const security = [{ bearer: ['verify'] }];

export function verifyRoutes(app: FastifyInstance, ctx: HubContext, gate: Gate): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/v1/verify', {
    preValidation: verifyQueryLimit,
    schema: { tags: ['verify'], summary: "Verify one copy by its fingerprints against the organisation's records", security, body: VerifyQuerySchema, response: { 200: VerifyAnswerSchema, ...errorResponses(400, 401, 403, 413, 429) } },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'verify');
    return ctx.verifier.verify(req.body, p.tenantId);
  });

  r.post('/v1/verify/batch', {
    // 1,000 image queries take about 150 KB and the longest video query (4,096 segment pHashes) 78 KB: 16 MiB holds
    // 200 of those beside the rest. A larger batch is answered 413 and goes in parts.
    bodyLimit: 16 * 1024 * 1024,
    preValidation: verifyBatchLimit,
    schema: { tags: ['verify'], summary: 'Verify up to 1,000 copies in one call', security, body: z.strictObject({ queries: z.array(VerifyQuerySchema).max(MAX_BATCH_QUERIES) }), response: { 200: z.object({ results: z.array(VerifyAnswerSchema) }), ...errorResponses(400, 401, 403, 413, 429) } },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'verify');
    return { results: await ctx.verifier.verifyBatch(req.body.queries, p.tenantId) };
  });

  r.get('/v1/records/:recordId', {
    schema: { tags: ['verify'], summary: "A record's history: the record, what happened to it on the hub, and its segments", security, params: z.object({ recordId: z.string().max(100) }), response: { 200: HistorySchema, ...errorResponses(401, 403, 404, 429) } },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'verify');
    const db = ctx.hub.db;
    const record = await recordById(db, p.tenantId, req.params.recordId);
    if (!record) throw new CustodyError('NOT_FOUND', `expected a record ${req.params.recordId} of this organisation, but there is none`);
    const events = await db.selectFrom('record_events').select(['at', 'event', 'actor', 'detail']).where('tenant_id', '=', p.tenantId).where('record_id', '=', record.id).orderBy('at').execute();
    // The ingest is the records row itself (databases written before it was, also hold it as an event row).
    if (!events.some((e) => e.event === 'ingested')) {
      const row = await db.selectFrom('records').select(['received_at', 'desk_id', 'api_key_id', 'tenant_seq']).where('tenant_id', '=', p.tenantId).where('id', '=', record.id).executeTakeFirstOrThrow();
      events.unshift({ at: row.received_at, event: 'ingested', actor: `desk:${row.desk_id}`, detail: JSON.stringify({ keyId: row.api_key_id, seq: row.tenant_seq }) });
    }
    const segments = await db.selectFrom('records').select(['id', 'segment_index']).where('tenant_id', '=', p.tenantId).where('parent_id', '=', record.id).orderBy('segment_index').execute();
    return {
      record,
      events: events.map((e) => ({ at: e.at, event: e.event, actor: e.actor, detail: JSON.parse(e.detail) as Record<string, unknown> })),
      segments: segments.map((s) => ({ id: s.id, index: s.segment_index })),
    };
  });
}
