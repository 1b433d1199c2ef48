// What every route needs: the database, the index, the verifier, metrics, limits, and the caller's identity
// (resolved once per request) with the per-key and per-tenant rate limits applied after it. A route that declares
// `security` in its schema is guarded before its body is read (an onRequest hook), so a request without a valid
// credential costs neither a body read nor a parse; credentials the hub refuses are counted per address.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { CustodyError, isCustodyError } from '../../core/errors.ts';
import type { LdapSource } from '../../core/directory/ldap-source.ts';
import type { Limits } from '../../core/media/detect.ts';
import { MATCH_PARAMS } from '../../core/media/watermark/match.ts';
import { bearerOf, requireScope, resolvePrincipal, SCOPES, type Principal, type Scope } from '../auth/principal.ts';
import { tokenKind } from '../auth/tokens.ts';
import { checkCsrf, sessionCookieOf } from '../auth/web-session.ts';
import type { HubDatabase } from '../db/connect.ts';
import type { IndexSet } from '../index/tenant-index.ts';
import type { TransparencyLog } from '../tlog/service.ts';
import type { Verifier } from '../verify/service.ts';
import type { HubMetrics } from './metrics.ts';

export interface RateLimits {
  /** Requests per window for one API key. */
  perKey: number;
  /** Requests per window for all keys of one tenant together. */
  perTenant: number;
  /** Requests per window from one address to the public (no account) routes; as many credentials refused (unknown, expired, revoked). */
  perAddress: number;
  /**
   * Deep watermark searches per window on the whole hub, whoever asks (`/public/verify?deep=1`): each holds the
   * hub's thread about 0.3 s (seconds for a panorama), so many addresses together must not hold it for long.
   */
  deepPerWindow: number;
  /**
   * Matchings per window on the whole hub, whoever asks: a public upload whose watermark is not read blind but whose
   * picture looks like some records' is matched against their payloads (about 0.4 s of the hub's thread). Past it,
   * the answer goes out without the matching and says so.
   */
  matchPerWindow: number;
  windowMs: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { perKey: 600, perTenant: 3000, perAddress: 60, deepPerWindow: 30, matchPerWindow: 60, windowMs: 60_000 };

/** createRateLimit's check: `isAllowed` is true only for allow-listed keys; a counted request is over when `isExceeded`. */
type Check = (req: FastifyRequest) => Promise<{ isAllowed: true } | { isAllowed: false; isExceeded: boolean; ttlInSeconds: number; max: number }>;

export interface HubContext {
  hub: HubDatabase;
  indexes: IndexSet;
  verifier: Verifier;
  metrics: HubMetrics;
  limits: Limits;
  rateLimits: RateLimits;
  /** The newsroom's LDAP/AD for hub admin logins (core/directory), or null: local hub admins only. */
  directory: LdapSource | null;
  /** The organisations' transparency logs: checkpoints and proofs (docs/anchoring.md). */
  tlog: TransparencyLog;
  /** Set once the index is loaded: /readyz. */
  ready: boolean;
}

const principals = new WeakMap<FastifyRequest, Principal | null>();
/** Requests already counted against the caller's limits: the guard and the handler both ask for the caller. */
const counted = new WeakSet<FastifyRequest>();

export class Gate {
  readonly #ctx: HubContext;
  readonly #byKey: Check;
  readonly #byTenant: Check;
  readonly #byAddress: Check;
  readonly #refusedByAddress: Check;
  readonly #deep: Check;
  readonly #match: Check;

  constructor(app: FastifyInstance, ctx: HubContext) {
    this.#ctx = ctx;
    const { perKey, perTenant, perAddress, deepPerWindow, matchPerWindow, windowMs } = ctx.rateLimits;
    const key = (req: FastifyRequest) => {
      const p = principals.get(req);
      return p?.kind === 'key' ? `key:${p.keyId}` : p?.kind === 'admin' ? `admin:${p.name}` : `ip:${req.ip}`;
    };
    const tenant = (req: FastifyRequest) => {
      const p = principals.get(req);
      return p?.kind === 'key' ? `tenant:${p.tenantId}` : `none:${req.ip}`;
    };
    this.#byKey = app.createRateLimit({ max: perKey, timeWindow: windowMs, keyGenerator: key }) as Check;
    this.#byTenant = app.createRateLimit({ max: perTenant, timeWindow: windowMs, keyGenerator: tenant }) as Check;
    this.#byAddress = app.createRateLimit({ max: perAddress, timeWindow: windowMs, keyGenerator: (req) => `ip:${req.ip}` }) as Check;
    this.#refusedByAddress = app.createRateLimit({ max: perAddress, timeWindow: windowMs, keyGenerator: (req) => `refused:${req.ip}` }) as Check;
    this.#deep = app.createRateLimit({ max: deepPerWindow, timeWindow: windowMs, keyGenerator: () => 'deep' }) as Check;
    this.#match = app.createRateLimit({ max: matchPerWindow, timeWindow: windowMs, keyGenerator: () => 'match' }) as Check;
    // Every route registered after this whose schema names `security` gets its guard: the OpenAPI declaration is
    // what is enforced, and a route cannot forget it.
    app.addHook('onRoute', (route) => this.#guard(route));
  }

  /**
   * The route's `security` (`[{ bearer: ['ingest'] }]`, `[{ auth: ['fetch:manifests'] }]`, or `[{ bearer: [] }]` for
   * any credential) becomes an onRequest hook: the caller is resolved, counted against its limits and, when scopes are
   * named, checked for one of them before the body is read. The handler asks again and gets the same caller.
   */
  #guard(route: RouteOptions): void {
    const security = (route.schema as { security?: Record<string, string[]>[] } | undefined)?.security;
    if (!security?.length) return;
    const scopes = security.flatMap((s) => Object.values(s).flat());
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length) throw new Error(`route ${route.url}: expected security scopes among ${SCOPES.join(', ')}, got ${unknown.join(', ')}`);
    const guard = async (req: FastifyRequest, reply: FastifyReply) => {
      const p = await this.caller(req, reply);
      if (scopes.length) requireScope(p, scopes as Scope[]);
      else if (!p) throw new CustodyError('NOT_AUTHENTICATED', 'expected an Authorization: Bearer API key or admin session, or the admin session cookie, got no credentials');
    };
    route.onRequest = [...(route.onRequest ? [route.onRequest].flat() : []), guard];
  }

  /**
   * The caller: a bearer token, else a hub admin's session cookie (the admin pages), which is taken for a request
   * that changes something only with the session's CSRF token (server/auth/web-session.ts).
   */
  async principal(req: FastifyRequest, reply: FastifyReply): Promise<Principal | null> {
    if (principals.has(req)) return principals.get(req)!;
    const token = bearerOf(req.headers.authorization);
    let p: Principal | null = null;
    try {
      if (token) p = await resolvePrincipal(this.#ctx.hub.db, token, new Date());
      else {
        const cookie = this.sessionCookie(req);
        if (cookie) p = await resolvePrincipal(this.#ctx.hub.db, cookie, new Date());
      }
    } catch (e) {
      // Refused credentials have no key to be limited by: they are counted against the address, and past its limit
      // answered 429, so guessing keys or replaying a revoked one is slowed like any other request.
      if (isCustodyError(e) && (e.code === 'NOT_AUTHENTICATED' || e.code === 'REVOKED')) await this.#limit(this.#refusedByAddress, req, reply, 'this address with credentials the hub refuses');
      throw e;
    }
    if (!token && p) checkCsrf(req, this.sessionCookie(req)!);
    principals.set(req, p);
    return p;
  }

  /** The admin session token of the request's cookie, when it holds one (never an API key: those are not cookies). */
  sessionCookie(req: FastifyRequest): string | null {
    const cookie = sessionCookieOf(req.headers.cookie);
    if (cookie && tokenKind(cookie) !== 'session') throw new CustodyError('NOT_AUTHENTICATED', 'expected the admin session cookie to hold an admin session (chs_…), got something else: log in again');
    return cookie;
  }

  /** The caller, rate-limited by key and by tenant (once a request, however often it is asked for). */
  async caller(req: FastifyRequest, reply: FastifyReply): Promise<Principal | null> {
    const p = await this.principal(req, reply);
    if (counted.has(req)) return p;
    counted.add(req);
    await this.#limit(this.#byKey, req, reply, 'this API key');
    if (p?.kind === 'key') await this.#limit(this.#byTenant, req, reply, 'this organisation');
    return p;
  }

  async scoped(req: FastifyRequest, reply: FastifyReply, scope: Scope | readonly Scope[]) {
    return requireScope(await this.caller(req, reply), scope);
  }

  /** Routes anyone may call: limited by address. An onRequest hook (`onRequest: gate.anonymous`), so a request past the limit is refused before its body is read. */
  readonly anonymous = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await this.#limit(this.#byAddress, req, reply, 'this address');
  };

  /** A deep watermark search, counted for the whole hub (RateLimits.deepPerWindow), after the caller's own limit. */
  readonly deep = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await this.#limit(this.#deep, req, reply, 'all callers together for the deep search');
  };

  /**
   * Whether a deep search may run on its own now (a copy that looks like a signed photo: image-signals.ts,
   * searchWatermark), out of the same budget as the deep searches asked for (RateLimits.deepPerWindow); counts it when
   * it may.
   */
  mayDeep(req: FastifyRequest): Promise<boolean> {
    return this.#may(this.#deep, req);
  }

  /** Whether a watermark matching may run now (RateLimits.matchPerWindow, for the whole hub); counts it when it may. */
  mayMatch(req: FastifyRequest): Promise<boolean> {
    return this.#may(this.#match, req);
  }

  /**
   * What verify's watermark search on an upload needs from the hub (core/provenance/image-signals.ts, searchWatermark):
   * the payloads of the records, in every organisation, whose picture looks like the upload's (`candidates`, asked for
   * only when its mark is not read), while the hub's budget for matching allows (RateLimits.matchPerWindow; `skipped()`
   * is then true: records looked like it, but none was matched), and whether a deep search may run on its own
   * (`mayDeep`, RateLimits.deepPerWindow). One upload counts once against each.
   */
  lookalikes(req: FastifyRequest): { candidates: (phash: string) => Promise<string[]>; mayDeep: () => Promise<boolean>; skipped: () => boolean } {
    let skipped = false;
    return {
      candidates: async (phash) => {
        const payloads = await this.#ctx.verifier.payloadsLike(phash, null, MATCH_PARAMS.maxCandidates);
        if (payloads.length === 0 || (await this.mayMatch(req))) return payloads;
        skipped = true;
        return [];
      },
      mayDeep: () => this.mayDeep(req),
      skipped: () => skipped,
    };
  }

  /** Whether `check` lets one more in; counts it when it does. */
  async #may(check: Check, req: FastifyRequest): Promise<boolean> {
    const r = await check(req);
    return r.isAllowed || !r.isExceeded;
  }

  async #limit(check: Check, req: FastifyRequest, reply: FastifyReply, who: string): Promise<void> {
    const r = await check(req);
    if (r.isAllowed || !r.isExceeded) return;
    reply.header('retry-after', String(Math.max(1, r.ttlInSeconds)));
    throw new CustodyError('RATE_LIMITED', `expected at most ${r.max} requests a window from ${who}, got more: retry in ${Math.max(1, r.ttlInSeconds)} s`);
  }
}
