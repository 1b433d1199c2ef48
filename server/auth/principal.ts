// Who is calling: an API key of a tenant (scoped), or a hub admin with a login session. Resolved once per request
// from the Authorization header; routes then ask for the scope they need.
import { CustodyError } from '../../core/errors.ts';
import type { HubKysely } from '../db/schema.ts';
import { tokenHash, tokenKind } from './tokens.ts';

/**
 * `fetch:manifests` is the C2PA Soft Binding Resolution API's scope, by the name its OpenAPI document gives it: a key
 * with it alone may query /matches and fetch /manifests, nothing else; `verify` includes it.
 */
export const SCOPES = ['ingest', 'verify', 'admin', 'fetch:manifests'] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes that carry another's rights: a route asking for `fetch:manifests` also admits `verify`. */
const INCLUDED_IN: Partial<Record<Scope, readonly Scope[]>> = { 'fetch:manifests': ['verify'] };

export type Principal =
  | { kind: 'key'; keyId: string; tenantId: string; deskId: string | null; scopes: Scope[] }
  | { kind: 'admin'; name: string };

/** How often a key's last-used time is written, at most: a write per request would cost more than the request. */
const LAST_USED_EVERY_MS = 60_000;
const lastUsedWritten = new Map<string, number>();

export function bearerOf(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

export async function resolvePrincipal(db: HubKysely, token: string, now: Date): Promise<Principal> {
  const kind = tokenKind(token);
  if (kind === 'key') {
    const row = await db.selectFrom('api_keys').select(['id', 'tenant_id', 'desk_id', 'scopes', 'revoked_at']).where('token_sha256', '=', tokenHash(token)).executeTakeFirst();
    if (!row) throw new CustodyError('NOT_AUTHENTICATED', 'expected a valid API key, got one the hub does not know');
    if (row.revoked_at) throw new CustodyError('REVOKED', `expected a live API key, got ${row.id}, revoked at ${row.revoked_at}`);
    const last = lastUsedWritten.get(row.id) ?? 0;
    if (now.getTime() - last > LAST_USED_EVERY_MS) {
      lastUsedWritten.set(row.id, now.getTime());
      await db.updateTable('api_keys').set({ last_used_at: now.toISOString() }).where('id', '=', row.id).execute();
    }
    return { kind: 'key', keyId: row.id, tenantId: row.tenant_id, deskId: row.desk_id, scopes: row.scopes.split(' ').filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)) };
  }
  if (kind === 'session') {
    const row = await db.selectFrom('admin_sessions').select(['admin_name', 'expires_at']).where('token_sha256', '=', tokenHash(token)).executeTakeFirst();
    if (!row || row.expires_at <= now.toISOString()) throw new CustodyError('NOT_AUTHENTICATED', 'expected a live admin session, got an unknown or expired one: log in again');
    return { kind: 'admin', name: row.admin_name };
  }
  throw new CustodyError('NOT_AUTHENTICATED', 'expected a bearer token that is a hub API key (chk_…) or admin session (chs_…), got something else');
}

/** The key's tenant, when it carries `scope` (or one of the scopes given). */
export function requireScope(p: Principal | null, scope: Scope | readonly Scope[]): Extract<Principal, { kind: 'key' }> {
  const named: readonly Scope[] = typeof scope === 'string' ? [scope] : scope;
  const wanted = [...new Set(named.flatMap((s) => [s, ...(INCLUDED_IN[s] ?? [])]))];
  const name = `the ${wanted.join(' or ')} scope`;
  if (!p) throw new CustodyError('NOT_AUTHENTICATED', `expected an Authorization: Bearer API key with ${name}, got none`);
  if (p.kind !== 'key') throw new CustodyError('NOT_PERMITTED', `expected an API key with ${name}, got an admin session (admin sessions manage tenants, not records)`);
  if (!wanted.some((s) => p.scopes.includes(s))) throw new CustodyError('NOT_PERMITTED', `expected an API key with ${name}, got one with ${p.scopes.join(', ') || 'no scopes'}`);
  return p;
}

/** A hub admin, or an admin-scoped key of `tenantId` (when given). */
export function requireAdmin(p: Principal | null, tenantId?: string): Principal {
  if (!p) throw new CustodyError('NOT_AUTHENTICATED', 'expected an admin session or an API key with the admin scope, got no credentials');
  if (p.kind === 'admin') return p;
  if (!p.scopes.includes('admin')) throw new CustodyError('NOT_PERMITTED', `expected the admin scope, got an API key with ${p.scopes.join(', ') || 'no scopes'}`);
  if (tenantId !== undefined && p.tenantId !== tenantId) throw new CustodyError('NOT_PERMITTED', `expected an admin key of tenant ${tenantId}, got one of another tenant`);
  return p;
}

export function actorName(p: Principal): string {
  return p.kind === 'admin' ? `admin:${p.name}` : `key:${p.keyId}`;
}
