// Web mode: the renderer build and the DeskApi (JSON over HTTP under /api/<method>) from a plain Node process,
// bound to 127.0.0.1 and guarded by a random session token. One adapter over the same handlers as IPC.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { envelope } from '../core/api/envelope.ts';
import { DeskHost, isDeskMethod, type HostHooks, type SessionSlot } from '../core/api/handlers.ts';
import type { Desk } from '../core/desk.ts';
import { CustodyError } from '../core/errors.ts';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.tif': 'image/tiff',
  '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon', '.mp4': 'video/mp4',
};
const MAX_JSON = 1 << 20;
const MAX_UPLOAD = 6 * 1024 * 1024 * 1024;

export interface WebServer {
  server: Server;
  url: string;
  token: string;
  host: DeskHost;
  close(): Promise<void>;
}

/** The cookie holding a browser's login session (core/directory); the server token only opens the door. */
export const USER_COOKIE = 'custody_session';

// The same policy as the renderer's <meta> tag, as a header too (it also covers what the meta tag cannot).
export const WEB_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function cookie(req: IncomingMessage, name: string): string | null {
  const m = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(req.headers.cookie ?? '');
  return m?.[1] ?? null;
}

/** One browser's login session, read from its cookie and replaced through Set-Cookie. */
function cookieSession(req: IncomingMessage): SessionSlot & { setCookie: string | null } {
  let token = cookie(req, USER_COOKIE);
  const slot = {
    setCookie: null as string | null,
    get: () => token,
    set: (t: string | null) => {
      token = t;
      slot.setCookie = t ? `${USER_COOKIE}=${t}; HttpOnly; SameSite=Strict; Path=/` : `${USER_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
    },
  };
  return slot;
}

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

const STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400, NOT_AUTHENTICATED: 401, NOT_PERMITTED: 403, NOT_FOUND: 404, INTERNAL: 500,
  // The directory behind a login failed: the desk is a gateway to it here.
  DIRECTORY_UNREACHABLE: 503, DIRECTORY_TLS: 502, DIRECTORY_SERVICE_BIND: 502, DIRECTORY_SEARCH_FAILED: 502,
};

function tokenOf(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  return cookie(req, 'custody_token') ?? url.searchParams.get('token');
}

function sameToken(a: string | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Streams an upload to a file (a video can be gigabytes), refusing it past the limit and leaving nothing behind. */
async function receiveFile(req: IncomingMessage, target: string, limit: number): Promise<void> {
  let n = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      n += chunk.length;
      if (n > limit) done(new CustodyError('FILE_TOO_LARGE', `expected an upload of at most ${limit} bytes, got more`));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(req, cap, createWriteStream(target, { flags: 'wx' }));
  } catch (e) {
    rmSync(target, { force: true });
    throw e;
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > limit) throw new CustodyError('FILE_TOO_LARGE', `expected a request body of at most ${limit} bytes, got more`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface WebOptions {
  port?: number;
  rendererDir: string;
  token?: string;
  hooks?: HostHooks;
  /** Largest upload accepted (default 6 GB: a long video). */
  maxUploadBytes?: number;
}

export async function startWebServer(desk: Desk, opts: WebOptions): Promise<WebServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const host = new DeskHost(desk, { kind: 'web', ...opts.hooks });
  const uploads = join(desk.home, 'uploads');
  const rendererDir = resolve(opts.rendererDir);
  let port = opts.port ?? 0;

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      // DNS rebinding: answer only requests addressed to the loopback name we serve.
      const hostHeader = req.headers.host ?? '';
      if (hostHeader !== `127.0.0.1:${port}` && hostHeader !== `localhost:${port}`) {
        return send(res, 403, { error: { code: 'NOT_PERMITTED', message: `expected Host 127.0.0.1:${port}, got ${hostHeader}` } });
      }
      const authorised = sameToken(tokenOf(req, url), token);

      if (url.pathname.startsWith('/api/')) {
        if (!authorised) return send(res, 401, { error: { code: 'NOT_AUTHENTICATED', message: 'expected the session token printed by `custody web`, got none or another' } });
        const method = url.pathname.slice(5);
        if (method === 'upload' && req.method === 'POST') {
          const answer = await envelope(async () => {
            let name: string;
            try {
              name = basename(decodeURIComponent(String(req.headers['x-file-name'] ?? 'upload.bin')));
            } catch {
              throw new CustodyError('INVALID_ARGUMENT', 'expected a URI-encoded file name in x-file-name, got a malformed one');
            }
            const dir = join(uploads, randomBytes(8).toString('hex'));
            mkdirSync(dir, { recursive: true });
            const target = join(dir, name === '' || name === '.' || name === '..' ? 'upload.bin' : name);
            await receiveFile(req, target, opts.maxUploadBytes ?? MAX_UPLOAD);
            return { path: target };
          });
          if (answer.ok) return send(res, 200, answer);
          // What is left of a refused upload is not read: the connection closes rather than carry it to the next request.
          req.resume();
          return send(res, answer.error.code === 'FILE_TOO_LARGE' ? 413 : (STATUS[answer.error.code] ?? 422), answer, { connection: 'close' });
        }
        if (req.method !== 'POST') return send(res, 405, { error: { code: 'INVALID_ARGUMENT', message: `expected POST /api/${method}, got ${req.method}` } });
        if (!isDeskMethod(method)) return send(res, 404, { error: { code: 'NOT_FOUND', message: `expected a DeskApi method, got ${JSON.stringify(method)}` } });
        let args: unknown;
        try {
          const body = await readBody(req, MAX_JSON);
          args = body.length ? JSON.parse(body.toString('utf8')) : {};
        } catch {
          return send(res, 400, { ok: false, error: { code: 'INVALID_ARGUMENT', message: `expected a JSON body for ${method}, got something else` } });
        }
        const session = cookieSession(req);
        const api = host.api(session) as unknown as Record<string, (a: unknown) => Promise<unknown>>;
        const answer = await envelope(() => api[method]!(args));
        const status = answer.ok ? 200 : (STATUS[answer.error.code] ?? 422);
        return send(res, status, answer, session.setCookie ? { 'set-cookie': session.setCookie } : {});
      }

      if (url.pathname.startsWith('/files/')) {
        // A signed output (or, with ?published=1, the published file) by record id: the only files web mode hands out.
        if (!authorised) return send(res, 401, { error: { code: 'NOT_AUTHENTICATED', message: 'expected the session token' } });
        const api = host.api(cookieSession(req));
        const answer = await envelope(() => api.item({ id: url.pathname.slice(7) }));
        if (!answer.ok) return send(res, STATUS[answer.error.code] ?? 422, answer);
        const path = url.searchParams.get('published') ? answer.result.workflow.publication?.output : answer.result.record.outputPath;
        if (!path || !existsSync(path)) return send(res, 404, { error: { code: 'NOT_FOUND', message: 'no such file for that record' } });
        res.writeHead(200, {
          'content-type': MIME[extname(path).toLowerCase()] ?? 'application/octet-stream',
          'content-disposition': `attachment; filename="${basename(path).replace(/[^\w.\- ]/g, '_')}"`,
          'x-content-type-options': 'nosniff',
        });
        return createReadStream(path).pipe(res);
      }

      // The renderer build. A first visit with ?token= sets a cookie so that later requests carry it.
      const rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '') || 'index.html';
      let file = join(rendererDir, rel);
      if (!file.startsWith(rendererDir + sep) || !existsSync(file) || statSync(file).isDirectory()) file = join(rendererDir, 'index.html');
      const headers: Record<string, string> = {
        'content-type': MIME[extname(file)] ?? 'application/octet-stream',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'content-security-policy': WEB_CSP,
        'cache-control': file.endsWith('index.html') ? 'no-store' : 'max-age=3600',
      };
      if (url.searchParams.get('token') && authorised) headers['set-cookie'] = `custody_token=${token}; HttpOnly; SameSite=Strict; Path=/`;
      res.writeHead(200, headers);
      createReadStream(file).pipe(res);
    } catch (e) {
      send(res, 500, { ok: false, error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } });
    }
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    token,
    host,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: async () => {
      await host.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
