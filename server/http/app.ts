// The hub's HTTP server: Fastify 5 with zod schemas on every route (fastify-type-provider-zod), so requests and
// responses are validated by the same schemas that generate the OpenAPI 3.1 document at /openapi.json.
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import { isIP } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { LdapSource } from '../../core/directory/ldap-source.ts';
import { DEFAULT_LIMITS, type Limits } from '../../core/media/detect.ts';
import type { HubDatabase } from '../db/connect.ts';
import { IndexSet } from '../index/tenant-index.ts';
import { Verifier } from '../verify/service.ts';
import { DEFAULT_RATE_LIMITS, Gate, type HubContext, type RateLimits } from './context.ts';
import { installErrorHandling } from './errors.ts';
import { CustodyError, isCustodyError } from '../../core/errors.ts';
import { HubMetrics } from './metrics.ts';
import { adminRoutes } from './routes-admin.ts';
import { adminWebRoutes } from './routes-admin-web.ts';
import { deskRoutes } from './routes-desk.ts';
import { opsRoutes } from './routes-ops.ts';
import { publicRoutes } from './routes-public.ts';
import { softBindingRoutes } from './routes-softbinding.ts';
import { verifyRoutes } from './routes-verify.ts';
import { logRoutes } from './routes-log.ts';
import type { LogKey } from '../tlog/log-key.ts';
import { TransparencyLog, type AnchorLookup } from '../tlog/service.ts';

export interface HubAppOptions {
  hub: HubDatabase;
  /** Fastify's pino logger options; false for none (tests). */
  logger?: FastifyServerOptions['logger'];
  rateLimits?: Partial<RateLimits>;
  limits?: Limits;
  /**
   * The reverse proxies whose X-Forwarded-For entries are believed, as a comma-separated list of IP addresses or CIDR
   * ranges (trustedProxies below): the client address the per-address limits count is the right-most entry not sent by
   * one of them. Absent: the connection's own address, X-Forwarded-For ignored.
   */
  trustProxy?: string;
  /** Hub admins may also log in with the newsroom's directory, when their groups map to the admin role. */
  directory?: LdapSource | null;
  /** The key checkpoints are signed with (server/tlog/log-key.ts); null or absent: the logs grow but nothing is signed. */
  logKey?: LogKey | null;
  /** Where checkpoints were anchored (the anchoring worker); absent: no chain, proofs say "not on chain". */
  anchors?: AnchorLookup;
  /** Checkpoint every this many ms (default 10 s) or once this many leaves wait (default 1,000). */
  checkpointIntervalMs?: number;
  maxUnsigned?: number;
}

export interface HubApp {
  app: FastifyInstance;
  ctx: HubContext;
  /** Loads every tenant's index from the database, catches the logs up and starts signing; /readyz answers once it has. */
  loadIndex(): Promise<void>;
}

const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

function isProxyAddress(item: string): boolean {
  if (NAMED_RANGES.includes(item)) return true;
  const slash = item.lastIndexOf('/');
  const version = isIP(slash < 0 ? item : item.slice(0, slash));
  if (version === 0) return false;
  if (slash < 0) return true;
  const prefix = item.slice(slash + 1);
  return /^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * Checks the reverse proxies to trust (`custody hub serve --trust-proxy`): a comma-separated list of IP addresses, CIDR
 * ranges (10.0.0.0/8, fd00::/8) or proxy-addr's names loopback, linklocal, uniquelocal; returns it as Fastify takes
 * it. Trusting every hop (`true`) would let any client pick the address it is rate-limited by (the left-most
 * X-Forwarded-For entry is the client's own), and Fastify 5 ignores a hop count (it cannot tell a request that came
 * through the proxy from one that did not), so both are refused.
 */
export function trustedProxies(value: string): string {
  const items = value.split(',').map((s) => s.trim());
  if (items.every(isProxyAddress)) return items.join(',');
  const hops = /^\s*\d+\s*$/.test(value) ? ' (a number of hops is not accepted: name the proxies, such as 127.0.0.1 for one on the same machine)' : '';
  throw new CustodyError('INVALID_ARGUMENT', `expected the trusted reverse proxies (--trust-proxy) as a comma-separated list of IP addresses or CIDR ranges, such as 127.0.0.1 or 10.0.0.0/8,::1 (or loopback, linklocal, uniquelocal), got ${JSON.stringify(value)}${hops}`);
}

export async function buildHubApp(opts: HubAppOptions): Promise<HubApp> {
  const trustProxy = opts.trustProxy === undefined ? false : trustedProxies(opts.trustProxy);
  const app = Fastify({ logger: opts.logger ?? false, trustProxy, bodyLimit: 1024 * 1024 });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);

  const indexes = new IndexSet(opts.hub.db);
  const metrics = new HubMetrics(indexes);
  const ctx: HubContext = {
    hub: opts.hub,
    indexes,
    verifier: new Verifier(opts.hub.db, indexes),
    metrics,
    limits: opts.limits ?? DEFAULT_LIMITS,
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits },
    directory: opts.directory ?? null,
    tlog: new TransparencyLog(opts.hub, {
      logKey: opts.logKey ?? null,
      ...(opts.anchors ? { anchors: opts.anchors } : {}),
      ...(opts.checkpointIntervalMs ? { intervalMs: opts.checkpointIntervalMs } : {}),
      ...(opts.maxUnsigned ? { maxUnsigned: opts.maxUnsigned } : {}),
      onError: (e) => app.log.error({ err: e }, 'transparency log: signing a checkpoint failed'),
      onSigning: (o) => metrics.checkpoints.inc({ outcome: 'signed' in o ? 'signed' : isCustodyError(o.error) ? o.error.code : 'INTERNAL_ERROR' }),
    }),
    ready: false,
  };
  app.addHook('onClose', async () => ctx.tlog.stop());

  // Uploaded images (byContent, the public page) arrive as raw bytes. The parser keeps the hub's 1 MiB limit: the two
  // routes that take an image raise it themselves (IMAGE_BODY_LIMIT), and a parser's own limit would apply to every
  // route without one, so that an image Content-Type would carry 50 MiB to any JSON route.
  app.addContentTypeParser(/^(image\/[\w.+-]+|application\/octet-stream)$/, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async () => {
    ctx.metrics.inFlight.inc();
  });
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.inFlight.dec();
    ctx.metrics.latency.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Custody hub',
        version: '1',
        description: "The organisation's shared verification server: desks enrol and push the fingerprints of what they sign; anyone with a key verifies copies by SHA-256, watermark, pHash or video segments; the C2PA Soft Binding Resolution API finds manifests of stripped copies.",
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A hub API key (chk_…) with the scope the route names (ingest, verify, admin), or a hub admin session (chs_…)' },
          auth: { type: 'http', scheme: 'bearer', description: 'The Soft Binding Resolution API\'s fetch:manifests scope: an API key (chk_…) with that scope, or with the verify scope, which includes it' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  const gate = new Gate(app, ctx);
  opsRoutes(app, ctx);
  adminRoutes(app, ctx, gate);
  adminWebRoutes(app, ctx, gate);
  deskRoutes(app, ctx, gate);
  verifyRoutes(app, ctx, gate);
  softBindingRoutes(app, ctx, gate);
  publicRoutes(app, ctx, gate);
  logRoutes(app, ctx, gate);

  return {
    app,
    ctx,
    async loadIndex() {
      await indexes.refresh();
      await ctx.tlog.catchUp();
      ctx.tlog.start();
      ctx.ready = true;
    },
  };
}
