// Operations: liveness, readiness (database reachable and index loaded), Prometheus metrics, the OpenAPI document
// and a page that lists it.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { HubContext } from './context.ts';
import { ErrorSchema } from './errors.ts';

export function opsRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  r.get('/readyz', {
    schema: { tags: ['operations'], summary: 'The database answers and the index is loaded', response: { 200: z.object({ status: z.literal('ready'), database: z.string(), tenants: z.number() }), 503: ErrorSchema } },
  }, async (_req, reply) => {
    if (!ctx.ready) return reply.status(503).send({ code: 'HUB_UNREACHABLE', message: 'expected the verification index to be loaded, but it is still loading' });
    try {
      await sql`select 1`.execute(ctx.hub.db);
    } catch (e) {
      return reply.status(503).send({ code: 'HUB_UNREACHABLE', message: `expected the database to answer, got: ${(e as Error).message}` });
    }
    return { status: 'ready' as const, database: ctx.hub.dialect, tenants: ctx.indexes.tenants().length };
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/docs', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(docsPage(app)));
}

interface OpenApiDoc {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, { summary?: string; tags?: string[]; security?: Record<string, string[]>[] }>>;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The API at a glance, rendered on the server from the same OpenAPI document: no script, nothing fetched. */
function docsPage(app: FastifyInstance): string {
  const doc = app.swagger() as unknown as OpenApiDoc;
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const scopes = (op.security ?? []).flatMap((s) => Object.entries(s).map(([k, v]) => (v.length ? v.join(' ') : k))).join(', ') || 'none';
      rows.push(`<tr><td>${esc(op.tags?.[0] ?? '')}</td><td><code>${method.toUpperCase()} ${esc(path)}</code></td><td>${esc(op.summary ?? '')}</td><td>${esc(scopes)}</td></tr>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}code{white-space:nowrap}</style></head>
<body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${esc(doc.info.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors are <code>{"code", "message"}</code> JSON.</p>
<table><thead><tr><th>group</th><th>route</th><th>what it does</th><th>credentials</th></tr></thead><tbody>${rows.join('')}</tbody></table></body></html>`;
}
