// The transparency log (docs/anchoring.md): the hub's verifier key, checkpoints, proof files, consistency proofs
// (verify scope), and the audit-head push (a desk's ingest key).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CustodyError } from '../../core/errors.ts';
import { ProofFileSchema } from '../../core/tlog/proof-file.ts';
import { AuditHeadPushSchema, pushAuditHead } from '../tlog/audit-heads.ts';
import type { Gate, HubContext } from './context.ts';
import { errorResponses } from './errors.ts';

const security = [{ bearer: ['verify'] }];
const size = z.coerce.number().int().min(0).max(2 ** 31 - 1);

const CheckpointSchema = z.object({
  origin: z.string(),
  size: z.number(),
  root: z.string().meta({ description: 'Base64, as in the note' }),
  note: z.string().meta({ description: 'The C2SP tlog-checkpoint, signed as a C2SP signed note' }),
  signedAt: z.string(),
}).meta({ id: 'Checkpoint' });

export function logRoutes(app: FastifyInstance, ctx: HubContext, gate: Gate): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const proof = { 200: ProofFileSchema.meta({ id: 'ProofFile' }), ...errorResponses(400, 401, 403, 404, 409, 429) };

  r.get('/v1/log/key', {
    onRequest: gate.anonymous,
    schema: { tags: ['log'], summary: "The hub's checkpoint verifier key (name+id+key, C2SP signed-note). Pin it out of band; this is a convenience", response: { 200: z.object({ key: z.string(), name: z.string() }), ...errorResponses(409, 429) } },
  }, async () => {
    const key = ctx.tlog.verifierKey();
    if (!key) throw new CustodyError('NOT_INITIALIZED', 'expected the hub to hold its checkpoint key, got none: it was started without its passphrase');
    return { key, name: key.slice(0, key.indexOf('+')) };
  });

  r.get('/v1/log/checkpoint', {
    schema: { tags: ['log'], summary: "The newest signed checkpoint of the organisation's log", security, response: { 200: CheckpointSchema, ...errorResponses(401, 403, 404, 429) } },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'verify');
    const cp = await ctx.tlog.latest(p.tenantId);
    if (!cp) throw new CustodyError('NOT_FOUND', "expected a signed checkpoint of this organisation's log, got none yet");
    return cp;
  });

  r.get('/v1/log/checkpoints/:size', {
    schema: { tags: ['log'], summary: 'The checkpoint signed at this tree size', security, params: z.object({ size }), response: { 200: CheckpointSchema, ...errorResponses(400, 401, 403, 404, 429) } },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'verify');
    return ctx.tlog.checkpointAt(p.tenantId, req.params.size);
  });

  r.get('/v1/log/records/:recordId/proof', {
    schema: { tags: ['log'], summary: "A record's proof file against the newest checkpoint (or the one of ?size=N); PROOF_NOT_READY until a checkpoint covers it", security, params: z.object({ recordId: z.string().max(100) }), querystring: z.object({ size: size.optional() }), response: proof },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'verify');
    return ctx.tlog.proofForRecord(p.tenantId, req.params.recordId, req.query.size);
  });

  r.post('/v1/log/records/proofs', {
    schema: {
      tags: ['log'],
      summary: 'Proof files for up to 1,000 records at once, all against the newest checkpoint; each answer is a proof or the code a single request would give (PROOF_NOT_READY, NOT_FOUND)',
      security,
      body: z.strictObject({ ids: z.array(z.string().min(1).max(100)).min(1).max(1000) }),
      response: {
        200: z.object({
          size: z.number().nullable().meta({ description: 'The checkpoint every proof is against; null before the first' }),
          proofs: z.array(z.object({ id: z.string(), proof: ProofFileSchema.nullable(), code: z.string().nullable(), message: z.string().nullable() })),
        }),
        ...errorResponses(400, 401, 403, 429),
      },
    },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'verify');
    return ctx.tlog.proofsForRecords(p.tenantId, req.body.ids);
  });

  r.get('/v1/log/leaves/:index/proof', {
    schema: { tags: ['log'], summary: "Any leaf's proof file (an audit head's index is in the answer to its push)", security, params: z.object({ index: size }), querystring: z.object({ size: size.optional() }), response: proof },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'verify');
    return ctx.tlog.proofForLeaf(p.tenantId, req.params.index, req.query.size);
  });

  r.get('/v1/log/consistency', {
    schema: { tags: ['log'], summary: 'A consistency proof between two checkpointed sizes (RFC 9162 §2.1.4), base64 hashes', security, querystring: z.object({ from: size, to: size }), response: { 200: z.object({ from: z.number(), to: z.number(), hashes: z.array(z.string()) }), ...errorResponses(400, 401, 403, 404, 429) } },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'verify');
    const { from, to } = req.query;
    const hashes = await ctx.tlog.consistency(p.tenantId, from, to);
    return { from, to, hashes: hashes.map((h) => Buffer.from(h).toString('base64')) };
  });

  r.post('/v1/audit-heads', {
    schema: {
      tags: ['desks'],
      summary: "Push the head of the desk's audit log, signed by one of its enrolled keys: it becomes a leaf of the organisation's log",
      security: [{ bearer: ['ingest'] }],
      body: AuditHeadPushSchema,
      response: { 200: z.object({ index: z.number(), status: z.enum(['accepted', 'replayed']), receivedAt: z.string() }), ...errorResponses(400, 401, 403, 409, 422, 429) },
    },
  }, async (req, reply) => {
    const p = await gate.scoped(req, reply, 'ingest');
    if (!p.deskId) throw new CustodyError('NOT_PERMITTED', 'expected an ingest key issued to a desk, got one issued to no desk');
    const res = await pushAuditHead(ctx.hub.db, ctx.hub.dialect, { tenantId: p.tenantId, deskId: p.deskId, keyId: p.keyId }, req.body);
    if (res.status === 'accepted') ctx.tlog.appended(p.tenantId, res.logSize);
    return { index: res.index, status: res.status, receivedAt: res.receivedAt };
  });
}
