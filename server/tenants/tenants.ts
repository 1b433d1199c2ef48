// Organisations on the hub, their API keys, and the hub's own admins (who create organisations and their first
// admin key). Every token is returned once, here, and stored only as its hash.
import { CustodyError } from '../../core/errors.ts';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../../core/directory/passwords.ts';
import type { ScryptParams } from '../../core/crypto/vault.ts';
import type { LdapSource } from '../../core/directory/ldap-source.ts';
import type { HubKysely } from '../db/schema.ts';
import { SCOPES, type Scope } from '../auth/principal.ts';
import { newId, newToken } from '../auth/tokens.ts';

export const SESSION_HOURS = 12;

export interface Tenant {
  id: string;
  name: string;
  records: number;
  createdAt: string;
}

export interface ApiKeyInfo {
  id: string;
  tenantId: string;
  deskId: string | null;
  label: string;
  scopes: Scope[];
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

function checkName(what: string, name: string): string {
  const n = name.trim();
  if (n.length === 0 || n.length > 200) throw new CustodyError('INVALID_ARGUMENT', `expected ${what} of 1 to 200 characters, got ${n.length}`);
  return n;
}

export async function createTenant(db: HubKysely, name: string, now = new Date()): Promise<Tenant> {
  const n = checkName('an organisation name', name);
  const existing = await db.selectFrom('tenants').select('id').where('name', '=', n).executeTakeFirst();
  if (existing) throw new CustodyError('ALREADY_INITIALIZED', `expected a new organisation name, got ${JSON.stringify(n)}, which the hub has already (tenant ${existing.id})`);
  const t = { id: newId('org'), name: n, record_count: 0, created_at: now.toISOString() };
  await db.insertInto('tenants').values(t).execute();
  return { id: t.id, name: t.name, records: 0, createdAt: t.created_at };
}

export async function listTenants(db: HubKysely): Promise<Tenant[]> {
  const rows = await db.selectFrom('tenants').selectAll().orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, records: r.record_count, createdAt: r.created_at }));
}

export async function getTenant(db: HubKysely, id: string): Promise<Tenant> {
  const r = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw new CustodyError('NOT_FOUND', `expected a tenant ${id}, but there is none`);
  return { id: r.id, name: r.name, records: r.record_count, createdAt: r.created_at };
}

export async function createApiKey(
  db: HubKysely,
  o: { tenantId: string; deskId?: string | null; label: string; scopes: readonly Scope[]; createdBy: string },
  now = new Date(),
): Promise<{ key: ApiKeyInfo; token: string }> {
  const scopes = [...new Set(o.scopes)];
  if (scopes.length === 0 || scopes.some((s) => !(SCOPES as readonly string[]).includes(s))) {
    throw new CustodyError('INVALID_ARGUMENT', `expected scopes among ${SCOPES.join(', ')}, got ${JSON.stringify(o.scopes)}`);
  }
  await getTenant(db, o.tenantId);
  const t = newToken('key');
  const row = {
    id: t.id,
    tenant_id: o.tenantId,
    desk_id: o.deskId ?? null,
    label: checkName('a key label', o.label),
    token_sha256: t.sha256,
    scopes: scopes.join(' '),
    created_at: now.toISOString(),
    created_by: o.createdBy,
    revoked_at: null,
    last_used_at: null,
  };
  await db.insertInto('api_keys').values(row).execute();
  return { key: keyInfo(row), token: t.token };
}

function keyInfo(r: { id: string; tenant_id: string; desk_id: string | null; label: string; scopes: string; created_at: string; created_by: string; revoked_at: string | null; last_used_at: string | null }): ApiKeyInfo {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    deskId: r.desk_id,
    label: r.label,
    scopes: r.scopes.split(' ') as Scope[],
    createdAt: r.created_at,
    createdBy: r.created_by,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

export async function listApiKeys(db: HubKysely, tenantId: string): Promise<ApiKeyInfo[]> {
  const rows = await db.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').execute();
  return rows.map(keyInfo);
}

export async function revokeApiKey(db: HubKysely, tenantId: string | null, keyId: string, now = new Date()): Promise<ApiKeyInfo> {
  let q = db.selectFrom('api_keys').selectAll().where('id', '=', keyId);
  if (tenantId) q = q.where('tenant_id', '=', tenantId);
  const row = await q.executeTakeFirst();
  if (!row) throw new CustodyError('NOT_FOUND', `expected an API key ${keyId}${tenantId ? ' of this tenant' : ''}, but there is none`);
  if (!row.revoked_at) {
    row.revoked_at = now.toISOString();
    await db.updateTable('api_keys').set({ revoked_at: row.revoked_at }).where('id', '=', keyId).where('revoked_at', 'is', null).execute();
  }
  return keyInfo(row);
}

export async function createHubAdmin(db: HubKysely, name: string, password: string, opts: { now?: Date; scrypt?: ScryptParams } = {}): Promise<void> {
  const n = checkName('an admin name', name);
  if (password.length < 12) throw new CustodyError('INVALID_ARGUMENT', `expected an admin password of at least 12 characters, got ${password.length}`);
  const existing = await db.selectFrom('hub_admins').select('name').where('name', '=', n).executeTakeFirst();
  if (existing) throw new CustodyError('ALREADY_INITIALIZED', `expected a new admin name, got ${JSON.stringify(n)}, which exists`);
  await db.insertInto('hub_admins').values({ name: n, password_hash: await hashPassword(password, opts.scrypt), created_at: (opts.now ?? new Date()).toISOString() }).execute();
}

/** hub_admins.password_hash of an admin known from the directory: a row for their sessions, matching no password. */
export const DIRECTORY_ADMIN_HASH = 'directory';
const BAD_LOGIN = 'expected a hub admin name and password, got ones that do not match';

/**
 * A hub admin login. A local admin (`hub init --admin`) is checked locally; with a directory (`hub serve
 * --directory`), any other name is asked of the newsroom's LDAP/AD through the same module as the desks, and let in
 * when their groups map to the admin role. The directory's own failures keep their codes (DIRECTORY_UNREACHABLE …).
 */
export async function adminLogin(db: HubKysely, name: string, password: string, now = new Date(), directory: LdapSource | null = null): Promise<{ token: string; expiresAt: string }> {
  const row = await db.selectFrom('hub_admins').select('password_hash').where('name', '=', name).executeTakeFirst();
  if (directory && (!row || row.password_hash === DIRECTORY_ADMIN_HASH)) return openAdminSession(db, await directoryAdmin(db, directory, name, password, now), now);
  // The same answer, after the same work, whether the name or the password is wrong: an unknown name costs a check at
  // the cost admins' passwords are hashed at (a cheap dummy told which names exist by the time an answer took).
  const ok = row ? await verifyPassword(password, row.password_hash) : (await burnPasswordCheck(password), false);
  if (!row || !ok) throw new CustodyError('NOT_AUTHENTICATED', BAD_LOGIN);
  return openAdminSession(db, name, now);
}

async function directoryAdmin(db: HubKysely, directory: LdapSource, typed: string, password: string, now: Date): Promise<string> {
  // Directories match names without regard to case; the hub keeps them in lower case, like the desks.
  const name = typed.toLowerCase();
  const r = await directory.login(name, password);
  // A directory admin the directory no longer knows, or no longer maps to the admin role, keeps no session open: their
  // sessions end here (a wrong password alone ends none, or anyone could end an admin's sessions by typing one).
  const endSessions = () => db.deleteFrom('admin_sessions').where('admin_name', '=', name).where((eb) => eb.exists(eb.selectFrom('hub_admins').select('name').where('name', '=', name).where('password_hash', '=', DIRECTORY_ADMIN_HASH))).execute();
  if (r.kind !== 'ok') {
    if (r.reason === 'unknown user') await endSessions();
    await burnPasswordCheck(password); // as slow as a local refusal
    throw new CustodyError('NOT_AUTHENTICATED', BAD_LOGIN);
  }
  if (!r.grant.roles.includes('admin')) {
    await endSessions();
    throw new CustodyError('NOT_PERMITTED', `expected ${name} to be in a directory group that maps to the admin role, got ${r.grant.roles.join(', ') || 'no role'}`);
  }
  await db.insertInto('hub_admins').values({ name, password_hash: DIRECTORY_ADMIN_HASH, created_at: now.toISOString() }).onConflict((oc) => oc.column('name').doNothing()).execute();
  return name;
}

async function openAdminSession(db: HubKysely, name: string, now: Date): Promise<{ token: string; expiresAt: string }> {
  const t = newToken('session');
  const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString();
  await db.insertInto('admin_sessions').values({ token_sha256: t.sha256, admin_name: name, created_at: now.toISOString(), expires_at: expiresAt }).execute();
  return { token: t.token, expiresAt };
}
