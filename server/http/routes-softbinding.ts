// The C2PA Soft Binding Resolution API (C2PA 2.x, "Soft Binding Resolution API", OpenAPI 1.1.0): a copy whose
// Content Credentials were stripped is found by its watermark or its pHash (byBinding), or by its pixels (byContent:
// the hub reads both itself and forgets the upload, matching a mark too faint to read against the records that look
// like it, as the public page does), and the manifest store a desk pushed is served back. Answers span every
// organisation on the hub, as a public resolver's do. Each match carries the spec's similarityScore (0–100) and,
// beside it, the raw Hamming distance (or the matching's score) and the signal that matched.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CustodyError } from '../../core/errors.ts';
import { hammingHex } from '../../core/media/hash.ts';
import { WATERMARK_ALGORITHM } from '../../core/media/watermark/codec.ts';
import { imageSignals } from '../../core/provenance/image-signals.ts';
import { PHASH_COPIED_WATERMARK, WATERMARK_MAX_DISTANCE } from '../../core/provenance/checks.ts';
import type { Match } from '../verify/service.ts';
import type { Gate, HubContext } from './context.ts';
import { errorResponses } from './errors.ts';

/** The desk's pHash (imagehash.phash-compatible 64-bit DCT hash), as a soft-binding fingerprint algorithm. */
export const PHASH_ALGORITHM = 'org.custody.phash.dct64.v1';
export const IMAGE_BODY_LIMIT = 50 * 1024 * 1024 + 1024;

/** The spec's scope; the hub's verify scope includes it (auth/principal.ts). */
const security = [{ auth: ['fetch:manifests'] }];

const MatchSchema = z.object({
  manifestId: z.string(),
  similarityScore: z.int().min(0).max(100),
  distance: z.int().nullable().meta({ description: 'Hamming distance between the query and the stored code (0 for an exact SHA-256 match); null for a watermark matched rather than read (`matched`)' }),
  alg: z.string().meta({ description: 'The algorithm whose value matched (or "sha256" for exact bytes)' }),
  recordId: z.string(),
  org: z.string(),
  matched: z.literal(true).optional().meta({ description: 'byContent: the upload\'s watermark was too faint to read, but this record\'s own pattern is in it (its correlation `score`, at least `threshold`)' }),
  score: z.number().optional(),
  threshold: z.number().optional(),
}).meta({ id: 'SoftBindingMatch' });
const ResultSchema = z.object({
  matches: z.array(MatchSchema),
  matchingSkipped: z.literal(true).optional().meta({ description: 'byContent: records look like the upload and its watermark was not read, but the hub was too busy to match it against theirs: ask again in a minute' }),
}).meta({ id: 'c2pa.softBindingQueryResult' });

/**
 * A matched watermark is scored as a payload read at the edge of what detection accepts (WATERMARK_MAX_DISTANCE of 128
 * bits: 95): the matching's threshold was set for a false match no likelier than a false detection (match.ts), and it
 * gives a yes, not a count of bits. The correlation score goes beside it.
 */
const MATCHED_SIMILARITY = Math.round(100 * (1 - WATERMARK_MAX_DISTANCE / 128));
const QuerySchema = z.strictObject({ alg: z.string().max(200), value: z.string().max(1000) }).meta({ id: 'c2pa.softBindingQuery' });

const MANIFEST_URN = 'urn:custody:manifest:';
const RECORD_URN = 'urn:custody:record:';

/**
 * The id a record's manifest is served under: the label the desk pushed, qualified by its organisation (labels are
 * unique only within one, so two may hold the same), else one naming the record.
 */
export function manifestIdOf(m: Match['record']): string {
  return m.manifestId !== null ? `${MANIFEST_URN}${m.tenantId}:${m.manifestId}` : `${RECORD_URN}${m.tenantId}:${m.id}`;
}

/** The organisation and label a manifest id names; a bare label names no organisation. */
function parseManifestId(id: string): { tenantId: string | null; label: string } {
  if (!id.startsWith(MANIFEST_URN)) return { tenantId: null, label: id };
  const rest = id.slice(MANIFEST_URN.length);
  const colon = rest.indexOf(':');
  if (colon <= 0) throw new CustodyError('INVALID_ARGUMENT', `expected a manifest id ${MANIFEST_URN}<organisation>:<label>, got ${JSON.stringify(id)}`);
  return { tenantId: rest.slice(0, colon), label: rest.slice(colon + 1) };
}

function scored(m: Match, bits: number, alg: string) {
  return { manifestId: manifestIdOf(m.record), similarityScore: Math.round(100 * (1 - m.distance / bits)), distance: m.distance, alg, recordId: m.record.id, org: m.record.org };
}

function decode(alg: string, value: string): { kind: 'payload' | 'phash'; hex: string } {
  const bytes = /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0 ? Buffer.from(value, 'base64') : null;
  const want = alg === WATERMARK_ALGORITHM ? 16 : alg === PHASH_ALGORITHM ? 8 : 0;
  if (!want) throw new CustodyError('INVALID_ARGUMENT', `expected alg ${WATERMARK_ALGORITHM} or ${PHASH_ALGORITHM} (GET /services/supportedAlgorithms), got ${JSON.stringify(alg)}`);
  if (!bytes || bytes.length !== want) throw new CustodyError('INVALID_ARGUMENT', `expected value to be ${want} bytes in base64 for ${alg}, got ${bytes ? `${bytes.length} bytes` : 'text that is not base64'}`);
  return { kind: want === 16 ? 'payload' : 'phash', hex: bytes.toString('hex') };
}

export function softBindingRoutes(app: FastifyInstance, ctx: HubContext, gate: Gate): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const maxResults = z.coerce.number().int().min(1).max(100).default(10);

  const byBinding = async (alg: string, value: string, limit: number) => {
    const q = decode(alg, value);
    const answer = await ctx.verifier.verify(q.kind === 'payload' ? { payload: q.hex } : { phash: q.hex }, null);
    const signal = q.kind === 'payload' ? 'watermark' : 'phash';
    return { matches: answer.matches.filter((m) => m.signal === signal).slice(0, limit).map((m) => scored(m, q.kind === 'payload' ? 128 : 64, alg)) };
  };

  r.get('/matches/byBinding', {
    schema: { tags: ['soft binding'], summary: 'Manifests matching a soft binding value', security, querystring: z.object({ alg: z.string().max(200), value: z.string().max(1000), maxResults }), response: { 200: ResultSchema, ...errorResponses(400, 401, 403, 429) } },
  }, async (req, reply) => {
    await gate.scoped(req, reply, 'fetch:manifests');
    return byBinding(req.query.alg, req.query.value, req.query.maxResults);
  });

  r.post('/matches/byBinding', {
    schema: { tags: ['soft binding'], summary: 'Manifests matching a soft binding value (in the body)', security, querystring: z.object({ maxResults }), body: QuerySchema, response: { 200: ResultSchema, ...errorResponses(400, 401, 403, 429) } },
  }, async (req, reply) => {
    await gate.scoped(req, reply, 'fetch:manifests');
    return byBinding(req.body.alg, req.body.value, req.query.maxResults);
  });

  r.post('/matches/byContent', {
    bodyLimit: IMAGE_BODY_LIMIT,
    schema: {
      tags: ['soft binding'],
      summary: 'Manifests matching an uploaded image: the hub reads its watermark and pHash, answers, and keeps nothing',
      description: 'A watermark too faint to read is matched against the records whose pHash is near the upload\'s (`matched`, with its `score`; within the hub\'s matchings a minute, else `matchingSkipped`), and a copy that looks like a signed photo with no mark found is searched deeper (a copy squeezed or stretched and cropped), within the hub\'s deep searches a minute. `alg` = the pHash algorithm leaves the watermark out.',
      security,
      querystring: z.object({ alg: z.string().max(200).optional(), maxResults, hintAlg: z.string().max(200).optional(), hintValue: z.string().max(1000).optional() }),
      response: { 200: ResultSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 429) },
    },
  }, async (req, reply) => {
    await gate.scoped(req, reply, 'fetch:manifests');
    const { alg } = req.query;
    if (alg !== undefined && alg !== WATERMARK_ALGORITHM && alg !== PHASH_ALGORITHM) {
      throw new CustodyError('INVALID_ARGUMENT', `expected alg ${WATERMARK_ALGORITHM} or ${PHASH_ALGORITHM}, got ${JSON.stringify(alg)}`);
    }
    if (!Buffer.isBuffer(req.body)) throw new CustodyError('UNSUPPORTED_FORMAT', 'expected the image as the request body with an image/* or application/octet-stream Content-Type');
    // As the public page does (routes-public.ts): a mark too faint to read blind is matched against the records that
    // look like the upload, and a copy that looks like a signed photo with no mark found is searched deeper, within
    // the hub's budgets. Asked for the pHash alone, the watermark is left out.
    const look = alg === PHASH_ALGORITHM ? null : gate.lookalikes(req);
    const s = await imageSignals(req.body, ctx.limits, look ? { candidates: look.candidates, mayDeep: look.mayDeep } : {});
    const payload = s.watermark?.detected && look ? s.watermark.payload ?? undefined : undefined;
    const answer = await ctx.verifier.verify({ sha256: s.sha256, ...(payload ? { payload, ...(s.watermark?.matched ? { payloadMatched: true as const } : {}) } : {}), ...(alg !== WATERMARK_ALGORITHM ? { phash: s.phash } : {}) }, null);
    const seen = new Set<string>();
    const matches = [];
    for (const m of answer.matches) {
      // A watermark on a picture far from its record's pHash was copied onto it: no match (core/provenance/checks.ts).
      if (m.signal === 'watermark' && m.record.phash.length === 16 && hammingHex(m.record.phash, s.phash) > PHASH_COPIED_WATERMARK) continue;
      const key = `${m.record.tenantId}/${m.record.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (m.signal === 'sha256') matches.push({ manifestId: manifestIdOf(m.record), similarityScore: 100, distance: 0, alg: 'sha256', recordId: m.record.id, org: m.record.org });
      else if (m.signal === 'watermark' && s.watermark?.matched) {
        matches.push({ ...scored(m, 128, WATERMARK_ALGORITHM), similarityScore: MATCHED_SIMILARITY, distance: null, matched: true as const, score: s.watermark.score, threshold: s.watermark.threshold });
      } else matches.push(scored(m, m.signal === 'watermark' ? 128 : 64, m.signal === 'watermark' ? WATERMARK_ALGORITHM : PHASH_ALGORITHM));
    }
    return { matches: matches.slice(0, req.query.maxResults), ...(look?.skipped() ? { matchingSkipped: true as const } : {}) };
  });

  r.get('/manifests/:manifestId', {
    schema: {
      tags: ['soft binding'],
      summary: 'The C2PA manifest store a desk pushed (application/c2pa)',
      security,
      params: z.object({ manifestId: z.string().max(400) }),
      querystring: z.object({ returnActiveManifest: z.enum(['true', 'false']).optional() }),
      response: { ...errorResponses(400, 401, 403, 404, 429) },
    },
  }, async (req, reply) => {
    await gate.scoped(req, reply, 'fetch:manifests');
    // a record pushed without a store has none, whoever pushed a label spelled like its id (ingest refuses those now,
    // and a row stored before must not answer for another organisation's record)
    if (req.params.manifestId.toLowerCase().startsWith(RECORD_URN)) throw new CustodyError('NOT_FOUND', `expected a stored manifest ${req.params.manifestId}, but that record was pushed without a manifest store`);
    const { tenantId, label } = parseManifestId(req.params.manifestId);
    let q = ctx.hub.db.selectFrom('manifests').select(['data', 'sha256']).where('id', '=', label);
    if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
    // A bare label is answered only while one organisation holds it: which of several is meant, only the qualified
    // id /matches answers says.
    const rows = await q.limit(2).execute();
    if (rows.length > 1) throw new CustodyError('NOT_FOUND', `expected a manifest id that names one stored manifest, got the label ${label}, which more than one organisation pushed: ask with the manifestId /matches answers (${MANIFEST_URN}<organisation>:<label>)`);
    const row = rows[0];
    if (!row) throw new CustodyError('NOT_FOUND', `expected a stored manifest ${req.params.manifestId}, but no desk pushed a manifest with this label`);
    // The whole store is served either way: the hub keeps what the desk pushed and does not re-cut it.
    return reply.type('application/c2pa').header('etag', `"${row.sha256}"`).send(Buffer.from(row.data) as never);
  });

  r.get('/services/supportedAlgorithms', {
    schema: {
      tags: ['soft binding'],
      summary: 'The soft binding algorithms this service answers for',
      response: { 200: z.object({ watermarks: z.array(z.object({ alg: z.string() })), fingerprints: z.array(z.object({ alg: z.string() })) }).meta({ id: 'c2pa.softBindingAlgList' }) },
    },
  }, async () => ({ watermarks: [{ alg: WATERMARK_ALGORITHM }], fingerprints: [{ alg: PHASH_ALGORITHM }] }));
}
