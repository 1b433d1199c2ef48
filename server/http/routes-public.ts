// The public verification page: anyone, without an account, drops a photo and reads the verdict, each signal in
// plain words, and who signed it. The upload is read in memory, fingerprinted and dropped; nothing is stored.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CustodyError } from '../../core/errors.ts';
import { imageSignals } from '../../core/provenance/image-signals.ts';
import type { Gate, HubContext } from './context.ts';
import { errorResponses } from './errors.ts';
import { PUBLIC_PAGE_HTML, PUBLIC_PAGE_SCRIPT, PUBLIC_PAGE_CSP } from './public-page.ts';
import { IMAGE_BODY_LIMIT } from './routes-softbinding.ts';
import { explain, PublicAnswerSchema } from './public-answer.ts';

export function publicRoutes(app: FastifyInstance, ctx: HubContext, gate: Gate): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  app.get('/', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', PUBLIC_PAGE_CSP).header('x-content-type-options', 'nosniff').send(PUBLIC_PAGE_HTML));
  app.get('/verify.js', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('x-content-type-options', 'nosniff').send(PUBLIC_PAGE_SCRIPT));

  // Browsers ask for it on every page; no icon is better than a 404 in every console.
  app.get('/favicon.ico', { schema: { hide: true } }, async (_req, reply) => reply.status(204).send());

  r.post('/public/verify', {
    onRequest: gate.anonymous,
    bodyLimit: IMAGE_BODY_LIMIT,
    schema: {
      tags: ['public'],
      summary: 'Verify a photo without an account: the verdict and every signal in plain words; the upload is not kept',
      description: '`?deep=1`: when the usual search finds no watermark, search deeper (a copy squeezed or stretched and cropped, mirrored or not; about 0.3 s more)',
      querystring: z.object({ deep: z.literal('1').optional() }),
      response: { 200: PublicAnswerSchema, ...errorResponses(400, 413, 415, 422, 429) },
    },
  }, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) throw new CustodyError('UNSUPPORTED_FORMAT', 'expected the photo as the request body with an image/* or application/octet-stream Content-Type');
    const deep = req.query.deep === '1';
    if (deep) await gate.deep(req, reply);
    // a copy whose mark is too faint to read blind is matched against the records that look like it, while the
    // hub's budget for matching allows; where neither the usual search nor the matching finds a mark in a copy that
    // looks like a signed photo, it is searched deeper on its own, out of the budget for deep searches (Gate.lookalikes)
    const look = gate.lookalikes(req);
    const s = await imageSignals(req.body, ctx.limits, { deep, candidates: look.candidates, mayDeep: look.mayDeep });
    const payload = s.watermark?.detected ? s.watermark.payload ?? undefined : undefined;
    const answer = await ctx.verifier.verify({ sha256: s.sha256, phash: s.phash, ...(payload ? { payload, ...(s.watermark?.matched ? { payloadMatched: true as const } : {}) } : {}) }, null);
    return explain(s, answer, { matchSkipped: look.skipped() });
  });
}
