// Web mode: the renderer build and the DeskApi (JSON over HTTP under /api/<method>) from a plain Node process,
// bound to 127.0.0.1. One adapter over the same handlers as IPC. Who may call it is web-guard.ts: the server token
// in a header the page adds (never a cookie: cookies reach every port on 127.0.0.1), the desk's own origin, JSON
// bodies, and on a desk with users a login before anything but login itself. Files come only from uploads
// (web-uploads.ts) and the admin's allowed roots; signed copies are handed out by one-time download tickets.
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { envelope, type Envelope } from '../core/api/envelope.ts';
import { DeskHost, isDeskMethod, type HostHooks, type SessionSlot } from '../core/api/handlers.ts';
import type { Desk } from '../core/desk.ts';
import type { PushReport } from '../core/sync/worker.ts';
import { CustodyError } from '../core/errors.ts';
import { checkHost, checkOrigin, checkToken, cookie, type Refusal } from './web-guard.ts';
import { writeZip, type ZipEntry } from '../core/api/zip.ts';
import { openChecked, type CheckedFile } from '../core/api/checked-file.ts';
import type { ItemFile } from '../core/api/handle-library.ts';
import { ANONYMOUS_LIMITS, FOLDER_LISTINGS_PER_MINUTE, PerMinute, type AnonymousLimits } from './web-limits.ts';
import { Uploads } from './web-uploads.ts';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.tif': 'image/tiff',
  '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon', '.mp4': 'video/mp4',
};
const MAX_JSON = 1 << 20;
/**
 * What a browser may call before anyone has logged in, on a desk with users: the login itself, unlocking the keys,
 * which a directory login needs first (the passphrase is a stronger secret than any password), and verification
 * (a verifier has no account: its upload, its progress, and the record a verdict names as a verifier may see it).
 */
const PUBLIC_METHODS = new Set(['info', 'login', 'logout', 'whoami', 'unlock', 'verify', 'progress', 'publicRecord']);
const TICKET_MS = 60_000;
const ZIP_MAX_ITEMS = 500;

export interface WebServer {
  server: Server;
  url: string;
  token: string;
  /** The login cookie's name: per server instance, so that two desks (or a restart) never mix sessions. */
  cookieName: string;
  host: DeskHost;
  uploads: Uploads;
  close(): Promise<void>;
}

// The same policy as the renderer's <meta> tag, as a header too (it also covers what the meta tag cannot).
export const WEB_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * One browser's login session, read from its cookie and replaced through Set-Cookie. The `__Host-` prefix needs
 * HTTPS, which a loopback desk does not serve; the cookie keeps its discipline otherwise (no Domain, Path=/,
 * HttpOnly, SameSite=Strict) and is worth nothing on its own: every call also needs the token header.
 */
function cookieSession(req: IncomingMessage, name: string): SessionSlot & { setCookie: string | null; visitor: string | null } {
  let token = cookie(req, name);
  const slot = {
    setCookie: null as string | null,
    /** A browser without a login: its own random id (visitorCookie), so that its uploads are its own. */
    visitor: cookie(req, `${name}-visitor`),
    get: () => token,
    set: (t: string | null) => {
      token = t;
      slot.setCookie = t ? `${name}=${t}; HttpOnly; SameSite=Strict; Path=/` : `${name}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
    },
  };
  return slot;
}

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

const refuse = (res: ServerResponse, r: Refusal): void => send(res, r.status, { ok: false, error: { code: r.code, message: r.message } });

const STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400, NOT_AUTHENTICATED: 401, NOT_PERMITTED: 403, PATH_NOT_ALLOWED: 403, NOT_FOUND: 404, FILE_TOO_LARGE: 413, RATE_LIMITED: 429,
  UNSUPPORTED_FORMAT: 415, INTERNAL: 500,
  // The directory behind a login failed: the desk is a gateway to it here.
  DIRECTORY_UNREACHABLE: 503, DIRECTORY_TLS: 502, DIRECTORY_SERVICE_BIND: 502, DIRECTORY_SEARCH_FAILED: 502,
};

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

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body: Buffer;
  try {
    body = await readBody(req, MAX_JSON);
    return body.length ? (JSON.parse(body.toString('utf8')) as unknown) : {};
  } catch (e) {
    if (e instanceof CustodyError) throw e;
    throw new CustodyError('INVALID_ARGUMENT', 'expected a JSON body, got something else');
  }
}

/** The paths a sign or verify call named: the uploads among them are deleted once it has answered. */
function pathsOf(method: string, args: unknown): string[] {
  const a = (args ?? {}) as { paths?: unknown; path?: unknown };
  if (method === 'sign' && Array.isArray(a.paths)) return a.paths.filter((p): p is string => typeof p === 'string');
  if (method === 'verify' && typeof a.path === 'string') return [a.path];
  return [];
}

export interface WebOptions {
  port?: number;
  rendererDir: string;
  token?: string;
  hooks?: HostHooks;
  /** Where failures the caller did not cause are written in full (the answer says only that the desk failed). */
  log?: (line: string) => void;
  /** What callers without a login may send (web-limits.ts). */
  anonymous?: Partial<AnonymousLimits>;
  /** Folder listings (folderList) per login and minute (web-limits.ts). */
  folderListingsPerMinute?: number;
}

export async function startWebServer(desk: Desk, opts: WebOptions): Promise<WebServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const cookieName = `custody-${randomBytes(6).toString('hex')}-session`;
  const uploads = new Uploads();
  const tickets = new Map<string, { owner: string; id: string; published: boolean; until: number }>();
  const zipTickets = new Map<string, { owner: string; ids: string[]; published: boolean; until: number }>();
  const log = opts.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const limits = { ...ANONYMOUS_LIMITS, ...opts.anonymous };
  const uploadsPerMinute = new PerMinute(limits.uploadsPerMinute);
  const folderListings = new PerMinute(opts.folderListingsPerMinute ?? FOLDER_LISTINGS_PER_MINUTE, 'per login');
  let verifying = 0;

  /** On a desk with users, a browser that has not logged in (or whose login ended): a verifier, nothing more. */
  const isAnonymous = (session: SessionSlot): boolean => {
    if (!desk.directory.hasUsers()) return false;
    const t = session.get();
    if (!t) return true;
    try {
      desk.directory.session(t);
      return false;
    } catch {
      return true;
    }
  };
  // A verifier without an account owns its uploads by its browser's visitor id (a cookie of its own, given with its
  // first upload), not as one "anonymous" shared by every visitor: another could otherwise use or delete them.
  const ownerOf = (session: SessionSlot): string => (isAnonymous(session) ? Uploads.anonymousOwner((session as { visitor?: string | null }).visitor ?? null) : Uploads.owner(session.get()));
  // The hub sync worker runs here as in the desktop app's main process: from the start when the vault is open, else
  // from the unlock on (the hub API key is in the vault); each signature made through this server wakes it.
  const syncReport = (r: PushReport) => log(`custody web: hub: ${r.accepted} record(s) pushed, ${r.parked} parked, ${r.remaining} pending${r.error ? `; waiting: ${r.error}` : ''}`);
  const host: DeskHost = new DeskHost(desk, {
    kind: 'web',
    ...opts.hooks,
    afterUnlock: async (d) => {
      await opts.hooks?.afterUnlock?.(d);
      host.startSync(syncReport);
    },
    // A verifier without an account reads its own uploads only: the allowed roots are the newsroom's files.
    confineFiles: (session) => isAnonymous(session)
      ? { roots: uploads.foldersOf(ownerOf(session)), name: 'your uploads' }
      : { roots: [...uploads.foldersOf(ownerOf(session)), ...desk.allowedRoots], name: 'your uploads and the allowed roots' },
  });
  const rendererDir = resolve(opts.rendererDir);
  let port = opts.port ?? 0;

  /** An answer as it may leave the process: a failure the caller did not cause says only that, and is logged. */
  const outward = <T>(answer: Envelope<T>, what: string): Envelope<T> => {
    if (answer.ok || answer.error.code !== 'INTERNAL') return answer;
    log(`custody web: ${what} failed: ${answer.error.message}`);
    return { ok: false, error: { code: 'INTERNAL', message: `expected ${what} to work, but the desk failed (its log has the details)` } };
  };

  /** Refuses a caller who is not logged in on a desk with users (a desk without users acts as itself). */
  const needsLogin = async (session: SessionSlot): Promise<Refusal | null> => {
    if (!desk.directory.hasUsers()) return null;
    const who = await host.api(session).whoami({});
    return who.user ? null : { status: 401, code: 'NOT_AUTHENTICATED', message: 'expected a logged-in user of this desk, got no one: log in first' };
  };

  async function api(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') return refuse(res, { status: 405, code: 'INVALID_ARGUMENT', message: `expected POST /api/${method}, got ${req.method}` });
    const bad = checkOrigin(req, method === 'upload' ? 'application/octet-stream' : 'application/json') ?? checkToken(req, token);
    if (bad) return refuse(res, bad);
    const session = cookieSession(req, cookieName);
    if (method === 'upload') {
      const answer = await envelope(async () => {
        let name: string;
        try {
          name = decodeURIComponent(String(req.headers['x-file-name'] ?? 'upload.bin'));
        } catch {
          throw new CustodyError('INVALID_ARGUMENT', 'expected a URI-encoded file name in x-file-name, got a malformed one');
        }
        if (isAnonymous(session) && !session.visitor) session.visitor = randomBytes(24).toString('base64url');
        const owner = ownerOf(session);
        const anonymous = Uploads.isAnonymous(owner);
        if (anonymous) {
          uploadsPerMinute.take(req.socket.remoteAddress ?? '?', 'uploads');
        }
        const quota = anonymous ? { files: limits.held, bytes: limits.heldBytes } : undefined;
        return { path: await uploads.receive(req, owner, name, desk.limits, quota) };
      });
      if (answer.ok) return send(res, 200, answer, session.visitor && !cookie(req, `${cookieName}-visitor`) ? { 'set-cookie': `${cookieName}-visitor=${session.visitor}; HttpOnly; SameSite=Strict; Path=/` } : {});
      // What is left of a refused upload is not read: the connection closes rather than carry it to the next request.
      req.resume();
      return send(res, STATUS[answer.error.code] ?? 422, outward(answer, 'the upload'), { connection: 'close' });
    }
    if (!isDeskMethod(method)) return refuse(res, { status: 404, code: 'INVALID_ARGUMENT', message: `expected a DeskApi method, got ${JSON.stringify(method.slice(0, 64))}` });
    if (!PUBLIC_METHODS.has(method)) {
      const login = await needsLogin(session);
      if (login) return refuse(res, login);
    }
    const args = await envelope(() => readJson(req));
    if (!args.ok) return send(res, STATUS[args.error.code] ?? 400, args);
    const calls = host.api(session) as unknown as Record<string, (a: unknown) => Promise<unknown>>;
    const owner = ownerOf(session);
    if (method === 'folderList') {
      const limited = await envelope(async () => folderListings.take(owner, 'folder listings'));
      if (!limited.ok) return send(res, STATUS[limited.error.code] ?? 429, limited);
    }
    const counted = method === 'verify' && Uploads.isAnonymous(owner);
    let answer: Envelope<unknown>;
    try {
      if (counted && verifying >= limits.verifying) {
        answer = { ok: false, error: { code: 'RATE_LIMITED', message: `expected at most ${limits.verifying} verifications without a login at once, got more: try again in a moment` } };
      } else {
        if (counted) verifying += 1;
        try {
          answer = outward(await envelope(() => calls[method]!(args.result)), method);
        } finally {
          if (counted) verifying -= 1;
        }
      }
    } finally {
      // The uploads the call named are deleted once it has answered, whatever the answer was.
      uploads.consume(owner, pathsOf(method, args.result));
    }
    const status = answer.ok ? 200 : (STATUS[answer.error.code] ?? 422);
    return send(res, status, answer, session.setCookie ? { 'set-cookie': session.setCookie } : {});
  }

  /** A ticket request's caller: a POST from the page with its token, logged in; else refused here (null). */
  async function ticketCaller(req: IncomingMessage, res: ServerResponse): Promise<ReturnType<typeof cookieSession> | null> {
    const bad = req.method !== 'POST' ? { status: 405, code: 'INVALID_ARGUMENT' as const, message: 'expected POST' } : (checkOrigin(req, 'application/json') ?? checkToken(req, token));
    const session = cookieSession(req, cookieName);
    const refusal = bad ?? (await needsLogin(session));
    if (refusal) refuse(res, refusal);
    return refusal ? null : session;
  }

  /**
   * POST /files/<id>/ticket {published}: a one-time address for one file, good for a minute and for this login
   * only, because a download is a navigation that cannot carry the token header.
   */
  async function ticket(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const session = await ticketCaller(req, res);
    if (!session) return;
    const answer = await envelope(async () => {
      const { published } = (await readJson(req)) as { published?: unknown };
      host.file(session, id, published === true); // refuses here already whoever may not have it
      const t = randomBytes(24).toString('base64url');
      tickets.set(t, { owner: Uploads.owner(session.get()), id, published: published === true, until: Date.now() + TICKET_MS });
      return { url: `/files/${encodeURIComponent(id)}?ticket=${t}` };
    });
    return send(res, answer.ok ? 200 : (STATUS[answer.error.code] ?? 422), outward(answer, 'the download'));
  }

  async function download(req: IncomingMessage, res: ServerResponse, id: string, url: URL): Promise<void> {
    const t = url.searchParams.get('ticket') ?? '';
    const held = tickets.get(t);
    tickets.delete(t);
    const session = cookieSession(req, cookieName);
    if (!held || held.until < Date.now() || held.id !== id || held.owner !== Uploads.owner(session.get())) {
      return refuse(res, { status: 401, code: 'NOT_AUTHENTICATED', message: 'expected a download ticket from the desk page, got none, an old one or another login\'s' });
    }
    let file: ItemFile;
    try {
      file = host.file(session, id, held.published); // checked again: the user may have lost the role meanwhile
    } catch (e) {
      const code = e instanceof CustodyError ? e.code : 'INTERNAL';
      return refuse(res, { status: STATUS[code] ?? 422, code: code === 'NOT_AUTHENTICATED' ? code : 'NOT_PERMITTED', message: e instanceof CustodyError ? e.message : 'the desk failed' });
    }
    // the bytes that were signed, or nothing: the file is opened once, checked, and sent through the same handle
    let checked: CheckedFile;
    try {
      checked = await openChecked(file.path, file.sha256, file.what);
    } catch (e) {
      if (!(e instanceof CustodyError)) throw e;
      return send(res, STATUS[e.code] ?? 409, { ok: false, error: { code: e.code, message: e.message } });
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
      'content-disposition': `attachment; filename="${basename(file.path).replace(/[^\w.\- ]/g, '_')}"`,
      'content-length': String(checked.size),
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    checked.handle.createReadStream({ start: 0 }).pipe(res);
  }

  /**
   * POST /files/zip/ticket {ids, published}: the selection as one ZIP. Every item is asked of the same rule as a
   * single download (core/authz fileDownload, through host.file) on its own: the answer names those refused and
   * why, and the one-time address holds only the others.
   */
  async function zipTicket(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const session = await ticketCaller(req, res);
    if (!session) return;
    const answer = await envelope(async () => {
      const { ids, published } = (await readJson(req)) as { ids?: unknown; published?: unknown };
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > ZIP_MAX_ITEMS || !ids.every((i): i is string => typeof i === 'string' && /^rec_[0-9a-z]{26}$/.test(i))) {
        throw new CustodyError('INVALID_ARGUMENT', `expected ids: 1 to ${ZIP_MAX_ITEMS} record ids like rec_…, got ${Array.isArray(ids) ? `${ids.length} values` : typeof ids}`);
      }
      const { included, refused } = host.zipSelection(session, ids, published === true);
      if (included.length === 0) return { url: null, included, refused };
      const t = randomBytes(24).toString('base64url');
      zipTickets.set(t, { owner: Uploads.owner(session.get()), ids: included, published: published === true, until: Date.now() + TICKET_MS });
      return { url: `/files/zip?ticket=${t}`, included, refused };
    });
    return send(res, answer.ok ? 200 : (STATUS[answer.error.code] ?? 422), outward(answer, 'the download'));
  }

  async function zipDownload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const t = url.searchParams.get('ticket') ?? '';
    const held = zipTickets.get(t);
    zipTickets.delete(t);
    const session = cookieSession(req, cookieName);
    if (!held || held.until < Date.now() || held.owner !== Uploads.owner(session.get())) {
      return refuse(res, { status: 401, code: 'NOT_AUTHENTICATED', message: 'expected a download ticket from the desk page, got none, an old one or another login\'s' });
    }
    // Asked again, item by item: a role lost since the ticket drops that item.
    let entries: ZipEntry[];
    try {
      entries = host.zipSelection(session, held.ids, held.published).entries;
    } catch (e) {
      if (!(e instanceof CustodyError)) throw e;
      return refuse(res, { status: STATUS[e.code] ?? 422, code: 'INVALID_ARGUMENT', message: e.message });
    }
    if (entries.length === 0) return refuse(res, { status: 403, code: 'NOT_PERMITTED', message: 'expected at least one file this login may download, got none' });
    res.writeHead(200, {
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="custody-${new Date().toISOString().slice(0, 10)}-${entries.length}.zip"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    try {
      await writeZip(res, entries);
      res.end();
    } catch (e) {
      log(`custody web: the zip download failed: ${e instanceof Error ? e.message : String(e)}`);
      res.destroy();
    }
  }

  function page(res: ServerResponse, url: URL): void {
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '') || 'index.html';
    } catch {
      rel = 'index.html';
    }
    let file = join(rendererDir, rel);
    if (!file.startsWith(rendererDir + sep) || !existsSync(file) || statSync(file).isDirectory()) file = join(rendererDir, 'index.html');
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy': WEB_CSP,
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': file.endsWith('index.html') ? 'no-store' : 'max-age=3600',
    });
    createReadStream(file).pipe(res);
  }

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const wrongHost = checkHost(req, port);
      if (wrongHost) return refuse(res, wrongHost);
      if (url.pathname.startsWith('/api/')) return await api(req, res, url.pathname.slice(5));
      const file = /^\/files\/([^/]+)(\/ticket)?$/.exec(url.pathname);
      if (file?.[1] === 'zip') return await (file[2] ? zipTicket(req, res) : zipDownload(req, res, url));
      if (file) {
        const id = decodeURIComponent(file[1]!);
        return file[2] ? await ticket(req, res, id) : await download(req, res, id, url);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, { status: 405, code: 'INVALID_ARGUMENT', message: `expected GET, got ${req.method}` });
      page(res, url);
    } catch (e) {
      log(`custody web: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (!res.headersSent) send(res, 500, { ok: false, error: { code: 'INTERNAL', message: 'expected the desk to answer, but it failed (its log has the details)' } });
      else res.destroy();
    }
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : port;
  host.startSync(syncReport);
  return {
    server,
    token,
    cookieName,
    host,
    uploads,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: async () => {
      await host.close();
      uploads.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
