// The hub admin's browser session, for the hub's own admin pages (server/http/admin-page.ts). The session token
// (chs_…, the same as POST /v1/admin/login answers) travels in an HttpOnly, SameSite=Strict cookie, so the page's
// script never holds it. A cookie is sent by the browser on its own, so every request it authenticates that is
// not a read must also prove it comes from the hub's own page (OWASP "Cross-Site Request Forgery Prevention":
// a synchronizer token in a custom header, and the Origin checked where the browser sends it):
//   - X-CSRF-Token: SHA-256("custody-hub-csrf|" + session token), which only a page that read GET /v1/admin/session
//     from the hub's origin can know (another origin cannot read the answer, and cannot send a custom header
//     cross-origin without a CORS preflight, which the hub never grants);
//   - Origin, when present, is the hub's own.
// Bearer tokens in Authorization are not sent by browsers on their own, so they need neither.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CustodyError } from '../../core/errors.ts';
import { sha256Hex } from '../../core/media/hash.ts';

export const SESSION_COOKIE = 'custody_hub_admin';
export const CSRF_HEADER = 'x-csrf-token';

/** The session token from the request's Cookie header, or null. */
export function sessionCookieOf(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

export function csrfTokenOf(sessionToken: string): string {
  return sha256Hex(`custody-hub-csrf|${sessionToken}`);
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin this request was made to, as a browser would write it in an Origin header. */
function ownOrigin(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

/**
 * Refuses a cookie-authenticated request that changes something unless it carries the session's CSRF token and, when
 * the browser names one, the hub's own origin. Applied to logins too (which set the cookie): a page elsewhere must
 * not log a browser into a session of its choosing.
 */
export function checkSameOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== ownOrigin(req)) {
    throw new CustodyError('NOT_PERMITTED', `expected a request from the hub's own pages (Origin ${ownOrigin(req)}), got one from ${JSON.stringify(origin.slice(0, 100))}`);
  }
}

export function checkCsrf(req: FastifyRequest, sessionToken: string): void {
  if (SAFE.has(req.method)) return;
  checkSameOrigin(req);
  const sent = req.headers[CSRF_HEADER];
  const want = Buffer.from(csrfTokenOf(sessionToken));
  const got = Buffer.from(typeof sent === 'string' ? sent : '');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new CustodyError('NOT_PERMITTED', `expected the ${CSRF_HEADER} header of this admin session (GET /v1/admin/session) on a request authenticated by its cookie, got ${typeof sent === 'string' ? 'a wrong one' : 'none'}`);
  }
}

/** Sets (or, with null, clears) the session cookie. Secure when the hub is reached over HTTPS. */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string | null, expiresAt?: string): void {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (req.protocol === 'https') attrs.push('Secure');
  attrs.push(token ? `Expires=${new Date(expiresAt!).toUTCString()}` : 'Max-Age=0');
  reply.header('set-cookie', `${SESSION_COOKIE}=${token ?? ''}; ${attrs.join('; ')}`);
}
