// What desks call: enrolment (with a one-time token) and ingest of signed records.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CustodyError } from '../../core/errors.ts';
import { HubRecordSchema } from '../../core/sync/hub-records.ts';
import { MAX_INGEST_BATCH, ingestBatch } from '../ingest/ingest.ts';
import { enrolDesk } from '../tenants/desks.ts';
import { PublicationPushSchema, pushPublication } from '../ingest/publications.ts';
import { ingestBatchLimit } from './batch-limits.ts';
import type { Gate, HubContext } from './context.ts';
import { errorResponses } from './errors.ts';
import { DeskSchema, IngestResultSchema, hex } from './schemas.ts';

/**
 * The largest ingest body the hub reads: what the largest legitimate batch needs, and no more, since the body is read
 * and parsed whole. A desk's batch stays within 16 MiB (core/sync/worker.ts `maxBatchBytes`, counting each record's
 * manifest store in base64 and 1,200 bytes for the rest), or is one record alone, at most a 2 MiB store (2.7 MiB in
 * base64); 1 MiB above that leaves room for the estimate. A desk answered 413 halves its batch and sends again.
 */
export const INGEST_BODY_LIMIT = 17 * 1024 * 1024;

export function deskRoutes(app: FastifyInstance, ctx: HubContext, gate: Gate): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/v1/enrol', {
    onRequest: gate.anonymous,
    schema: {
      tags: ['desks'],
      summary: 'Enrol a desk with a one-time token: registers its signing keys and C2PA root, answers an API key (ingest, verify) once',
      body: z.strictObject({
        token: z.string().max(200),
        name: z.string().min(1).max(200),
        keys: z.array(z.strictObject({ publicKey: hex(64, 'an Ed25519 public key'), proof: hex(128, 'an Ed25519 signature over custody-hub-enrol|<token>|<public key>') })).min(1).max(16),
        c2paRootPem: z.string().max(20_000).nullable(),
      }),
      response: { 201: z.object({ desk: DeskSchema, org: z.string(), apiKey: z.string(), apiKeyId: z.string() }), ...errorResponses(400, 401, 403, 422, 429) },
    },
  }, async (req, reply) => {
    const e = await enrolDesk(ctx.hub.db, req.body);
    return reply.status(201).send({ desk: e.desk, org: e.tenantName, apiKey: e.apiKey, apiKeyId: e.apiKeyId });
  });

  r.post('/v1/publications', {
    schema: {
      tags: ['desks'],
      summary: 'Push a publication the desk made: the signed publication statement (RFC 8785 JSON), its signature and key; its file is then recognised by its SHA-256. An id pushed again with the same statement answers its stored result',
      security: [{ bearer: ['ingest'] }],
      body: PublicationPushSchema,
      response: { 200: z.object({ id: z.string(), recordId: z.string(), status: z.enum(['accepted', 'replayed']), receivedAt: z.string() }), ...errorResponses(400, 401, 403, 404, 409, 422, 429) },
    },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'ingest');
    if (!p.deskId) throw new CustodyError('NOT_PERMITTED', 'expected an ingest key issued to a desk, got one issued to no desk');
    return pushPublication(ctx.hub.db, { tenantId: p.tenantId, deskId: p.deskId, keyId: p.keyId }, req.body);
  });

  r.post('/v1/records', {
    bodyLimit: INGEST_BODY_LIMIT,
    preValidation: ingestBatchLimit,
    schema: {
      tags: ['desks'],
      summary: 'Push signed records (at most 1,000 a batch; all accepted or none). An id seen before with the same content is answered with its stored result',
      security: [{ bearer: ['ingest'] }],
      body: z.strictObject({ records: z.array(HubRecordSchema).max(MAX_INGEST_BATCH) }),
      response: { 200: z.object({ results: z.array(IngestResultSchema) }), ...errorResponses(400, 401, 403, 409, 413, 422, 429) },
    },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'ingest');
    if (!p.deskId) throw new CustodyError('NOT_PERMITTED', 'expected an ingest key issued to a desk, got one issued to no desk');
    ctx.metrics.ingestQueue.inc();
    try {
      const { results, added, logSize } = await ingestBatch(ctx.hub.db, ctx.hub.dialect, { tenantId: p.tenantId, deskId: p.deskId, keyId: p.keyId }, req.body.records);
      // Matchable the moment this returns: the index takes the rows before the answer goes out.
      await ctx.indexes.accepted(p.tenantId, added);
      if (logSize !== null) ctx.tlog.appended(p.tenantId, logSize);
      ctx.metrics.ingested.inc({ status: 'accepted' }, added.length);
      ctx.metrics.ingested.inc({ status: 'replayed' }, results.length - added.length);
      return { results };
    } finally {
      ctx.metrics.ingestQueue.dec();
    }
  });
}
