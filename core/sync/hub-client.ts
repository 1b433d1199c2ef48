// The desk's HTTP client for the hub: JSON over fetch with a deadline, and every outcome sorted into what the
// caller must do next. "answered" carries the hub's status and body (including its coded refusals); "unreachable"
// is everything that gave no answer (refused or reset connections, timeouts, a proxy's 5xx): worth trying again.
import { CustodyError } from '../errors.ts';

export type HubOutcome =
  | { kind: 'answered'; status: number; body: Record<string, unknown>; retryAfterSec: number | null }
  | { kind: 'unreachable'; reason: string };

export interface HubClientOptions {
  /** Milliseconds before a request is abandoned (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The hub's base URL, normalised: http(s) only, no credentials, query or fragment, no trailing slash. */
export function hubBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CustodyError('INVALID_ARGUMENT', `expected the hub's URL like https://hub.example.org, got ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new CustodyError('INVALID_ARGUMENT', `expected an http or https URL for the hub, got ${u.protocol}`);
  if (u.username || u.password) throw new CustodyError('INVALID_ARGUMENT', 'expected the hub URL without a user name or password in it: the desk authenticates with its API key');
  if (u.search || u.hash) throw new CustodyError('INVALID_ARGUMENT', `expected the hub URL without a query or fragment, got ${JSON.stringify(raw)}`);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** Whether `base` (a hubBaseUrl) reaches this machine only: localhost, 127.0.0.0/8 or [::1]. */
export function isLoopbackUrl(base: string): boolean {
  const host = new URL(base).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Refuses a plain-http hub URL to another machine unless `plainHttp` accepts it: over http the enrolment token, the
 * API key and every answer (proofs, verification verdicts) are readable and changeable by whoever is on the path.
 */
export function requireTls(base: string, plainHttp: boolean): void {
  if (new URL(base).protocol === 'https:' || plainHttp || isLoopbackUrl(base)) return;
  throw new CustodyError(
    'INVALID_ARGUMENT',
    `expected an https URL for a hub on another machine, got ${base}: over plain http the enrolment token, the desk's API key and every answer of the hub can be read and changed on the way (use the hub's https address, or 127.0.0.1 for a hub on this machine; an admin who accepts the risk connects with 'custody hub connect --insecure-http')`,
  );
}

export class HubClient {
  readonly base: string;
  readonly #token: string | null;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(base: string, token: string | null, opts: HubClientOptions = {}) {
    this.base = hubBaseUrl(base);
    this.#token = token;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#fetch = opts.fetch ?? fetch;
  }

  async request(method: 'GET' | 'POST', path: string, json?: unknown, signal?: AbortSignal): Promise<HubOutcome> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (json !== undefined) headers['content-type'] = 'application/json';
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(this.base + path, {
        method,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
        redirect: 'error',
      });
      text = await res.text();
    } catch (e) {
      if (signal?.aborted) throw e;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = deadline.aborted ? `no answer within ${this.#timeoutMs} ms` : (cause?.code ?? cause?.message ?? (e as Error).message);
      return { kind: 'unreachable', reason: `${method} ${path}: ${why}` };
    }
    let body: Record<string, unknown>;
    try {
      const parsed = JSON.parse(text) as unknown;
      body = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
    } catch {
      // Not the hub speaking (a proxy's error page, a cut-off body): no answer to act on.
      return { kind: 'unreachable', reason: `${method} ${path}: HTTP ${res.status} with a body that is not JSON` };
    }
    // A 5xx is the hub (or what stands before it) failing, never a judgement on what was sent.
    if (res.status >= 500) return { kind: 'unreachable', reason: `${method} ${path}: HTTP ${res.status} ${typeof body.code === 'string' ? body.code : ''}`.trim() };
    const ra = Number(res.headers.get('retry-after'));
    return { kind: 'answered', status: res.status, body, retryAfterSec: Number.isFinite(ra) && ra > 0 ? ra : null };
  }
}

/** A coded error from a hub answer that is not a success. */
export function hubError(o: Extract<HubOutcome, { kind: 'answered' }>, what: string): CustodyError {
  const code = typeof o.body.code === 'string' ? o.body.code : 'INVALID_ARGUMENT';
  const message = typeof o.body.message === 'string' ? o.body.message : `HTTP ${o.status}`;
  const known = ['NOT_AUTHENTICATED', 'NOT_PERMITTED', 'REVOKED', 'INVALID_ARGUMENT', 'SIGNATURE_INVALID', 'RECORD_CONFLICT', 'RATE_LIMITED', 'NOT_FOUND', 'BATCH_TOO_LARGE', 'REQUEST_TOO_LARGE'] as const;
  const c = (known as readonly string[]).includes(code) ? (code as (typeof known)[number]) : 'INVALID_ARGUMENT';
  return new CustodyError(c, `the hub refused to ${what}: ${message}`, { hubCode: code, status: o.status });
}
