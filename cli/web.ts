// Web mode: the renderer build and the DeskApi (JSON over HTTP under /api/<method>) from a plain Node process,
// bound to 127.0.0.1 and guarded by a random session token. One adapter over the same handlers as IPC.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { envelope } from '../core/api/envelope.ts';
import { createDeskHandlers, isDeskMethod } from '../core/api/handlers.ts';
import type { Desk } from '../core/desk.ts';
import { CustodyError } from '../core/errors.ts';
import { getRecord } from '../core/store/records.ts';

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
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function tokenOf(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  const cookie = /(?:^|;\s*)custody_token=([^;]+)/.exec(req.headers.cookie ?? '');
  return cookie?.[1] ?? url.searchParams.get('token');
}

function sameToken(a: string | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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

export async function startWebServer(desk: Desk, opts: { port?: number; rendererDir: string; token?: string }): Promise<WebServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const api = createDeskHandlers(desk) as unknown as Record<string, (a: unknown) => Promise<unknown>>;
  const uploads = join(desk.home, 'uploads');
  const rendererDir = resolve(opts.rendererDir);
  let port = opts.port ?? 0;

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      // DNS rebinding: answer only requests addressed to the loopback name we serve.
      const host = req.headers.host ?? '';
      if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 403, { error: { code: 'NOT_PERMITTED', message: `expected Host 127.0.0.1:${port}, got ${host}` } });
      const authorised = sameToken(tokenOf(req, url), token);

      if (url.pathname.startsWith('/api/')) {
        if (!authorised) return send(res, 401, { error: { code: 'NOT_AUTHENTICATED', message: 'expected the session token printed by `custody web`, got none or another' } });
        const method = url.pathname.slice(5);
        if (method === 'upload' && req.method === 'POST') {
          const name = basename(decodeURIComponent(String(req.headers['x-file-name'] ?? 'upload.bin'))) || 'upload.bin';
          const dir = join(uploads, randomBytes(8).toString('hex'));
          mkdirSync(dir, { recursive: true });
          const target = join(dir, name);
          await writeFile(target, await readBody(req, MAX_UPLOAD));
          return send(res, 200, { ok: true, result: { path: target } });
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
        const fn = api[method]!;
        const answer = await envelope(() => fn(args));
        return send(res, answer.ok ? 200 : answer.error.code === 'INVALID_ARGUMENT' ? 400 : answer.error.code === 'NOT_FOUND' ? 404 : 422, answer);
      }

      if (url.pathname.startsWith('/files/')) {
        // A signed output, by record id: the only files web mode hands out.
        if (!authorised) return send(res, 401, { error: { code: 'NOT_AUTHENTICATED', message: 'expected the session token' } });
        const record = getRecord(desk.store, url.pathname.slice(7));
        if (!record?.outputPath || !existsSync(record.outputPath)) return send(res, 404, { error: { code: 'NOT_FOUND', message: 'no signed output for that record' } });
        res.writeHead(200, {
          'content-type': MIME[extname(record.outputPath).toLowerCase()] ?? 'application/octet-stream',
          'content-disposition': `attachment; filename="${basename(record.outputPath).replace(/"/g, '')}"`,
        });
        return createReadStream(record.outputPath).pipe(res);
      }

      // The renderer build. A first visit with ?token= sets a cookie so that later requests carry it.
      const rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '') || 'index.html';
      let file = join(rendererDir, rel);
      if (!file.startsWith(rendererDir + sep) || !existsSync(file) || statSync(file).isDirectory()) file = join(rendererDir, 'index.html');
      const headers: Record<string, string> = {
        'content-type': MIME[extname(file)] ?? 'application/octet-stream',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
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
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
