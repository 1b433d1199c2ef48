// Who may talk to web mode. Cookies are not bound to a port: every server on 127.0.0.1 receives the desk's
// cookies, and a page served from another port is "same-site" with the desk, so SameSite=Strict does not stop it
// from posting. What another origin can neither read nor send is a header: every API call carries the server token
// in `Authorization: Bearer`, which the page keeps in its own (port-bound) sessionStorage and never in a cookie.
// On top of it, a state-changing request must come from the desk's own origin (Origin, Sec-Fetch-Site) with the
// content type the page sends, which no HTML form and no "simple" cross-origin fetch can produce.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface Refusal {
  status: number;
  code: 'NOT_PERMITTED' | 'NOT_AUTHENTICATED' | 'INVALID_ARGUMENT';
  message: string;
}

/** The loopback names the desk answers to (DNS rebinding: a request for evil.example is refused). */
export function checkHost(req: IncomingMessage, port: number): Refusal | null {
  const host = req.headers.host ?? '';
  if (host === `127.0.0.1:${port}` || host === `localhost:${port}`) return null;
  return { status: 403, code: 'NOT_PERMITTED', message: `expected Host 127.0.0.1:${port}, got ${JSON.stringify(host.slice(0, 100))}` };
}

function sameToken(a: string | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The server token, from the Authorization header only (never from a cookie or the URL, which others can see). */
export function checkToken(req: IncomingMessage, token: string): Refusal | null {
  const auth = req.headers.authorization;
  if (sameToken(auth?.startsWith('Bearer ') ? auth.slice(7) : null, token)) return null;
  return { status: 401, code: 'NOT_AUTHENTICATED', message: 'expected the session token printed by `custody web` in an Authorization header, got none or another' };
}

/**
 * A state-changing request must come from the desk's own page: its Origin (browsers send one with every POST) is
 * the address it was served from, the browser does not call it cross-site, and its body is of the expected type.
 * A client that is not a browser sends no Origin; it still needs the token header.
 */
export function checkOrigin(req: IncomingMessage, contentType: string): Refusal | null {
  const origin = req.headers.origin;
  const own = `http://${req.headers.host ?? ''}`;
  if (origin !== undefined && origin !== own) {
    return { status: 403, code: 'NOT_PERMITTED', message: `expected a request from the desk's own page (${own}), got one from ${JSON.stringify(origin.slice(0, 100))}` };
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, code: 'NOT_PERMITTED', message: `expected a request from the desk's own page, got a ${JSON.stringify(site)} one` };
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== contentType) {
    return { status: 415, code: 'INVALID_ARGUMENT', message: `expected Content-Type ${contentType}, got ${JSON.stringify(type || 'none')}` };
  }
  return null;
}

/** The value of one cookie, by exact name. */
export function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim() || null;
  }
  return null;
}
