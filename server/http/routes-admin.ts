// Administration: hub admins log in and create organisations and their first admin key; an organisation's admin
// keys make enrolment tokens, list and revoke desks, and create and revoke API keys.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CustodyError } from '../../core/errors.ts';
import { SCOPES, actorName, requireAdmin, type Principal } from '../auth/principal.ts';
import { createEnrolmentToken, listDesks, revokeDesk } from '../tenants/desks.ts';
import { adminLogin, createApiKey, createTenant, getTenant, listApiKeys, listTenants, revokeApiKey } from '../tenants/tenants.ts';
import type { Gate, HubContext } from './context.ts';
import { errorResponses } from './errors.ts';
import { ApiKeySchema, DeskSchema, TenantSchema } from './schemas.ts';

const security = [{ bearer: [] }];
const NewKeySchema = z.object({ key: ApiKeySchema, token: z.string().meta({ description: 'The API key, shown this once' }) });
const EnrolmentRequest = z.strictObject({ label: z.string().min(1).max(200), hours: z.number().positive().max(720).optional() });
const EnrolmentTokenSchema = z.object({ id: z.string(), token: z.string().meta({ description: 'The enrolment token, shown this once' }), expiresAt: z.string() });
const KeyRequest = z.strictObject({ label: z.string().min(1).max(200), scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length), deskId: z.string().max(100).optional() });

function hubAdmin(p: Principal | null): Extract<Principal, { kind: 'admin' }> {
  if (p?.kind !== 'admin') throw new CustodyError(p ? 'NOT_PERMITTED' : 'NOT_AUTHENTICATED', 'expected a hub admin session (POST /v1/admin/login), got ' + (p ? 'an API key' : 'no credentials'));
  return p;
}

function tenantAdmin(p: Principal | null): Extract<Principal, { kind: 'key' }> {
  const a = requireAdmin(p);
  if (a.kind !== 'key') throw new CustodyError('NOT_PERMITTED', "expected an organisation's admin API key, got a hub admin session (create one with POST /v1/tenants/{tenantId}/api-keys)");
  return a;
}

export function adminRoutes(app: FastifyInstance, ctx: HubContext, gate: Gate): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = ctx.hub.db;
  /** A key bound to a desk acts for that desk: the desk must be the organisation's own. */
  const checkDeskOf = async (tenantId: string, deskId: string | undefined) => {
    if (!deskId) return;
    const d = await db.selectFrom('desks').select('id').where('id', '=', deskId).where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!d) throw new CustodyError('NOT_FOUND', `expected a desk ${deskId} of this organisation, but there is none`);
  };

  r.post('/v1/admin/login', {
    onRequest: gate.anonymous,
    schema: { tags: ['admin'], summary: 'Log in as a hub admin', body: z.strictObject({ name: z.string().min(1).max(200), password: z.string().min(1).max(1000) }), response: { 200: z.object({ token: z.string(), expiresAt: z.string() }), ...errorResponses(400, 401, 403, 429, 503) } },
  }, async (req) => {
    return adminLogin(db, req.body.name, req.body.password, new Date(), ctx.directory);
  });

  r.get('/v1/tenants', {
    schema: { tags: ['admin'], summary: 'List organisations (hub admin)', security, response: { 200: z.object({ tenants: z.array(TenantSchema) }), ...errorResponses(401, 403) } },
  }, async (req, reply) => {
    hubAdmin(await gate.caller(req, reply));
    return { tenants: await listTenants(db) };
  });

  r.post('/v1/tenants', {
    schema: { tags: ['admin'], summary: 'Create an organisation (hub admin)', security, body: z.strictObject({ name: z.string().min(1).max(200) }), response: { 201: TenantSchema, ...errorResponses(400, 401, 403, 409) } },
  }, async (req, reply) => {
    hubAdmin(await gate.caller(req, reply));
    return reply.status(201).send(await createTenant(db, req.body.name));
  });

  r.post('/v1/tenants/:tenantId/api-keys', {
    schema: { tags: ['admin'], summary: "Create an API key for an organisation (hub admin, or that organisation's admin key)", security, params: z.object({ tenantId: z.string().max(100) }), body: KeyRequest, response: { 201: NewKeySchema, ...errorResponses(400, 401, 403, 404) } },
  }, async (req, reply) => {
    const p = requireAdmin(await gate.caller(req, reply), req.params.tenantId);
    await getTenant(db, req.params.tenantId);
    await checkDeskOf(req.params.tenantId, req.body.deskId);
    return reply.status(201).send(await createApiKey(db, { tenantId: req.params.tenantId, deskId: req.body.deskId ?? null, label: req.body.label, scopes: req.body.scopes, createdBy: actorName(p) }));
  });

  // The same management for one organisation by a hub admin (the admin pages) or by that organisation's admin key.
  const tenantParams = z.object({ tenantId: z.string().max(100) });
  const onTenant = async (req: FastifyRequest<{ Params: { tenantId: string } }>, reply: FastifyReply) => {
    const p = requireAdmin(await gate.caller(req, reply), req.params.tenantId);
    await getTenant(db, req.params.tenantId);
    return p;
  };

  r.get('/v1/tenants/:tenantId/api-keys', {
    schema: { tags: ['admin'], summary: "List an organisation's API keys, never their secrets (hub admin, or that organisation's admin key)", security, params: tenantParams, response: { 200: z.object({ keys: z.array(ApiKeySchema) }), ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    await onTenant(req, reply);
    return { keys: await listApiKeys(db, req.params.tenantId) };
  });

  r.get('/v1/tenants/:tenantId/desks', {
    schema: { tags: ['admin'], summary: "An organisation's desks and their keys (hub admin, or that organisation's admin key)", security, params: tenantParams, response: { 200: z.object({ desks: z.array(DeskSchema) }), ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    await onTenant(req, reply);
    return { desks: await listDesks(db, req.params.tenantId) };
  });

  r.post('/v1/tenants/:tenantId/desks/:deskId/revoke', {
    schema: { tags: ['admin'], summary: "Revoke one of an organisation's desks (hub admin, or that organisation's admin key)", security, params: tenantParams.extend({ deskId: z.string().max(100) }), response: { 200: DeskSchema, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    await onTenant(req, reply);
    return revokeDesk(db, req.params.tenantId, req.params.deskId);
  });

  r.post('/v1/tenants/:tenantId/enrolment-tokens', {
    schema: { tags: ['admin'], summary: "Create a one-time desk enrolment token for an organisation (hub admin, or that organisation's admin key)", security, params: tenantParams, body: EnrolmentRequest, response: { 201: EnrolmentTokenSchema, ...errorResponses(400, 401, 403, 404) } },
  }, async (req, reply) => {
    const p = await onTenant(req, reply);
    return reply.status(201).send(await createEnrolmentToken(db, { tenantId: req.params.tenantId, label: req.body.label, ...(req.body.hours ? { hours: req.body.hours } : {}), createdBy: actorName(p) }));
  });

  r.get('/v1/api-keys', {
    schema: { tags: ['admin'], summary: "List the organisation's API keys (never their secrets)", security, response: { 200: z.object({ keys: z.array(ApiKeySchema) }), ...errorResponses(401, 403) } },
  }, async (req, reply) => {
    const p = tenantAdmin(await gate.caller(req, reply));
    return { keys: await listApiKeys(db, p.tenantId) };
  });

  r.post('/v1/api-keys', {
    schema: { tags: ['admin'], summary: 'Create an API key for this organisation', security, body: KeyRequest, response: { 201: NewKeySchema, ...errorResponses(400, 401, 403, 404) } },
  }, async (req, reply) => {
    const p = tenantAdmin(await gate.caller(req, reply));
    await checkDeskOf(p.tenantId, req.body.deskId);
    return reply.status(201).send(await createApiKey(db, { tenantId: p.tenantId, deskId: req.body.deskId ?? null, label: req.body.label, scopes: req.body.scopes, createdBy: actorName(p) }));
  });

  r.post('/v1/api-keys/:keyId/revoke', {
    schema: { tags: ['admin'], summary: 'Revoke an API key', security, params: z.object({ keyId: z.string().max(100) }), response: { 200: ApiKeySchema, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    const p = requireAdmin(await gate.caller(req, reply));
    return revokeApiKey(db, p.kind === 'key' ? p.tenantId : null, req.params.keyId);
  });

  r.post('/v1/enrolment-tokens', {
    schema: { tags: ['admin'], summary: 'Create a one-time desk enrolment token', security, body: EnrolmentRequest, response: { 201: EnrolmentTokenSchema, ...errorResponses(400, 401, 403) } },
  }, async (req, reply) => {
    const p = tenantAdmin(await gate.caller(req, reply));
    return reply.status(201).send(await createEnrolmentToken(db, { tenantId: p.tenantId, label: req.body.label, ...(req.body.hours ? { hours: req.body.hours } : {}), createdBy: actorName(p) }));
  });

  r.get('/v1/desks', {
    schema: { tags: ['admin'], summary: "The organisation's desks and their keys", security, response: { 200: z.object({ desks: z.array(DeskSchema) }), ...errorResponses(401, 403) } },
  }, async (req, reply) => {
    const p = tenantAdmin(await gate.caller(req, reply));
    return { desks: await listDesks(db, p.tenantId) };
  });

  r.post('/v1/desks/:deskId/revoke', {
    schema: { tags: ['admin'], summary: 'Revoke a desk: its records are refused from now on and its API keys revoked', security, params: z.object({ deskId: z.string().max(100) }), response: { 200: DeskSchema, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    const p = tenantAdmin(await gate.caller(req, reply));
    return revokeDesk(db, p.tenantId, req.params.deskId);
  });
}
