// The admin pages and their browser session: the page itself, a login that puts the session in an HttpOnly cookie
// (and answers its CSRF token, never the session token), the session's own description for a reloaded page, and
// logout, which ends the session in the database as well as in the browser.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CustodyError } from '../../core/errors.ts';
import { bearerOf } from '../auth/principal.ts';
import { tokenHash } from '../auth/tokens.ts';
import { checkSameOrigin, csrfTokenOf, setSessionCookie } from '../auth/web-session.ts';
import { adminLogin } from '../tenants/tenants.ts';
import { ADMIN_PAGE_CSP, ADMIN_PAGE_HTML, ADMIN_PAGE_SCRIPT } from './admin-page.ts';
import type { Gate, HubContext } from './context.ts';
import { errorResponses } from './errors.ts';

const SessionSchema = z.object({
  name: z.string(),
  csrf: z.string().meta({ description: 'Send as X-CSRF-Token with every request this cookie authenticates that is not a GET' }),
  expiresAt: z.string(),
});

export function adminWebRoutes(app: FastifyInstance, ctx: HubContext, gate: Gate): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = ctx.hub.db;

  app.get('/admin', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', ADMIN_PAGE_CSP).header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store').send(ADMIN_PAGE_HTML));
  app.get('/admin.js', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('x-content-type-options', 'nosniff').send(ADMIN_PAGE_SCRIPT));

  const describe = async (token: string) => {
    const row = await db.selectFrom('admin_sessions').select(['admin_name', 'expires_at']).where('token_sha256', '=', tokenHash(token)).executeTakeFirstOrThrow();
    return { name: row.admin_name, csrf: csrfTokenOf(token), expiresAt: row.expires_at };
  };

  r.post('/v1/admin/web-login', {
    onRequest: gate.anonymous,
    schema: {
      tags: ['admin'],
      summary: "Log in as a hub admin from the hub's admin pages: the session goes into an HttpOnly, SameSite=Strict cookie; the answer carries its CSRF token",
      body: z.strictObject({ name: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
      response: { 200: SessionSchema, ...errorResponses(400, 401, 403, 429, 503) },
    },
  }, async (req, reply) => {
    checkSameOrigin(req);
    const s = await adminLogin(db, req.body.name, req.body.password, new Date(), ctx.directory);
    setSessionCookie(req, reply, s.token, s.expiresAt);
    reply.header('cache-control', 'no-store');
    return describe(s.token);
  });

  r.get('/v1/admin/session', {
    schema: { tags: ['admin'], summary: "The admin session of the request's cookie: who, until when, and its CSRF token", response: { 200: SessionSchema, ...errorResponses(401, 429) } },
  }, async (req, reply) => {
    const token = gate.sessionCookie(req);
    const p = token ? await gate.caller(req, reply) : null;
    if (!token || p?.kind !== 'admin') throw new CustodyError('NOT_AUTHENTICATED', 'expected the admin session cookie of a hub admin (POST /v1/admin/web-login), got none');
    reply.header('cache-control', 'no-store');
    return describe(token);
  });

  r.post('/v1/admin/logout', {
    schema: { tags: ['admin'], summary: 'End this admin session (cookie, with its CSRF token, or bearer)', security: [{ bearer: [] }], response: { 200: z.object({ loggedOut: z.literal(true) }), ...errorResponses(401, 403, 429) } },
  }, async (req, reply) => {
    const p = await gate.caller(req, reply);
    const token = bearerOf(req.headers.authorization) ?? gate.sessionCookie(req);
    if (p?.kind !== 'admin' || !token) throw new CustodyError('NOT_AUTHENTICATED', 'expected an admin session to end, got ' + (p ? 'an API key' : 'none'));
    await db.deleteFrom('admin_sessions').where('token_sha256', '=', tokenHash(token)).execute();
    setSessionCookie(req, reply, null);
    return { loggedOut: true as const };
  });
}
