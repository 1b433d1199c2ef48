// Desks join an organisation with a one-time enrolment token that an org admin made. Enrolling registers the
// desk's org signing key(s), each with a proof that the desk holds it (a signature over the token and the key, so
// no desk can register someone else's public key and claim its records), and its C2PA root certificate; the desk
// gets an API key with the ingest and verify scopes, shown once.
import { CustodyError } from '../../core/errors.ts';
import { ed25519Verifier, keyId } from '../../core/crypto/ed25519.ts';
import { enrolmentProofBytes } from '../../core/sync/hub-records.ts';
import type { HubKysely } from '../db/schema.ts';
import { newId, newToken, tokenHash, tokenKind } from '../auth/tokens.ts';
import { createApiKey, getTenant } from './tenants.ts';

export const DEFAULT_ENROLMENT_HOURS = 72;
const MAX_ENROLMENT_HOURS = 24 * 30;

export interface DeskInfo {
  id: string;
  tenantId: string;
  name: string;
  keys: { publicKey: string; keyId: string; addedAt: string }[];
  hasC2paRoot: boolean;
  enrolledAt: string;
  revokedAt: string | null;
}

export async function createEnrolmentToken(
  db: HubKysely,
  o: { tenantId: string; label: string; hours?: number; createdBy: string },
  now = new Date(),
): Promise<{ id: string; token: string; expiresAt: string }> {
  await getTenant(db, o.tenantId);
  const hours = o.hours ?? DEFAULT_ENROLMENT_HOURS;
  if (!(hours > 0 && hours <= MAX_ENROLMENT_HOURS)) throw new CustodyError('INVALID_ARGUMENT', `expected an enrolment token lifetime of 0 to ${MAX_ENROLMENT_HOURS} hours, got ${hours}`);
  const t = newToken('enrol');
  const expiresAt = new Date(now.getTime() + hours * 3600_000).toISOString();
  await db.insertInto('enrolment_tokens').values({
    id: t.id, tenant_id: o.tenantId, token_sha256: t.sha256, label: o.label.slice(0, 200) || 'desk', created_at: now.toISOString(), created_by: o.createdBy, expires_at: expiresAt, used_at: null, desk_id: null,
  }).execute();
  return { id: t.id, token: t.token, expiresAt };
}

export interface EnrolRequest {
  token: string;
  name: string;
  keys: { publicKey: string; proof: string }[];
  c2paRootPem: string | null;
}

const PEM_CERT = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/;

export async function enrolDesk(db: HubKysely, req: EnrolRequest, now = new Date()): Promise<{ desk: DeskInfo; apiKey: string; apiKeyId: string; tenantName: string }> {
  if (tokenKind(req.token) !== 'enrol') throw new CustodyError('NOT_AUTHENTICATED', 'expected an enrolment token (che_…), got something else');
  if (req.keys.length === 0) throw new CustodyError('INVALID_ARGUMENT', 'expected at least one org signing key to enrol, got none');
  for (const k of req.keys) {
    if (!ed25519Verifier(Buffer.from(k.publicKey, 'hex'))(Buffer.from(k.proof, 'hex'), enrolmentProofBytes(req.token, k.publicKey))) {
      throw new CustodyError('SIGNATURE_INVALID', `expected a proof that the desk holds key ${k.publicKey.slice(0, 16)}…: an Ed25519 signature over custody-hub-enrol|<token>|<public key>, got one that does not verify`);
    }
  }
  if (req.c2paRootPem !== null && !PEM_CERT.test(req.c2paRootPem)) throw new CustodyError('INVALID_ARGUMENT', 'expected the C2PA root as one PEM certificate, got something else');
  const at = now.toISOString();
  return db.transaction().execute(async (trx) => {
    const token = await trx.selectFrom('enrolment_tokens').selectAll().where('token_sha256', '=', tokenHash(req.token)).executeTakeFirst();
    if (!token) throw new CustodyError('NOT_AUTHENTICATED', 'expected a valid enrolment token, got one the hub does not know');
    if (token.used_at) throw new CustodyError('NOT_PERMITTED', `expected an unused enrolment token, got one used at ${token.used_at}`);
    if (token.expires_at <= at) throw new CustodyError('NOT_PERMITTED', `expected a live enrolment token, got one that expired at ${token.expires_at}`);
    const taken = await trx.selectFrom('desk_keys').select(['public_key', 'desk_id']).where('public_key', 'in', req.keys.map((k) => k.publicKey)).executeTakeFirst();
    if (taken) throw new CustodyError('NOT_PERMITTED', `expected keys no desk has enrolled, got ${taken.public_key.slice(0, 16)}…, enrolled by desk ${taken.desk_id}`);
    const deskId = newId('desk');
    await trx.insertInto('desks').values({ id: deskId, tenant_id: token.tenant_id, name: req.name.trim().slice(0, 200) || 'desk', c2pa_root_pem: req.c2paRootPem, enrolled_at: at, revoked_at: null }).execute();
    // Spend the token only if no other request spent it meanwhile: the row count says who won.
    const spent = await trx.updateTable('enrolment_tokens').set({ used_at: at, desk_id: deskId }).where('id', '=', token.id).where('used_at', 'is', null).executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1) throw new CustodyError('NOT_PERMITTED', 'expected an unused enrolment token, got one another desk used just now');
    await trx.insertInto('desk_keys').values(req.keys.map((k) => ({ public_key: k.publicKey, tenant_id: token.tenant_id, desk_id: deskId, key_id: keyId(Buffer.from(k.publicKey, 'hex')), added_at: at }))).execute();
    const { key, token: apiKey } = await createApiKey(trx, { tenantId: token.tenant_id, deskId, label: `desk ${req.name.trim().slice(0, 180) || deskId}`, scopes: ['ingest', 'verify'], createdBy: `enrolment:${token.id}` }, now);
    const tenant = await trx.selectFrom('tenants').select('name').where('id', '=', token.tenant_id).executeTakeFirstOrThrow();
    return { desk: await deskInfo(trx, deskId), apiKey, apiKeyId: key.id, tenantName: tenant.name };
  });
}

export async function deskInfo(db: HubKysely, deskId: string): Promise<DeskInfo> {
  const d = await db.selectFrom('desks').selectAll().where('id', '=', deskId).executeTakeFirst();
  if (!d) throw new CustodyError('NOT_FOUND', `expected a desk ${deskId}, but there is none`);
  const keys = await db.selectFrom('desk_keys').select(['public_key', 'key_id', 'added_at']).where('desk_id', '=', deskId).orderBy('added_at').execute();
  return {
    id: d.id, tenantId: d.tenant_id, name: d.name, hasC2paRoot: d.c2pa_root_pem !== null, enrolledAt: d.enrolled_at, revokedAt: d.revoked_at,
    keys: keys.map((k) => ({ publicKey: k.public_key, keyId: k.key_id, addedAt: k.added_at })),
  };
}

export async function listDesks(db: HubKysely, tenantId: string): Promise<DeskInfo[]> {
  const rows = await db.selectFrom('desks').select('id').where('tenant_id', '=', tenantId).orderBy('enrolled_at').execute();
  return Promise.all(rows.map((r) => deskInfo(db, r.id)));
}

/** Refuses the desk's records from now on and revokes the API keys it was given; its accepted records stay. */
export async function revokeDesk(db: HubKysely, tenantId: string, deskId: string, now = new Date()): Promise<DeskInfo> {
  const d = await db.selectFrom('desks').select(['id', 'revoked_at']).where('id', '=', deskId).where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!d) throw new CustodyError('NOT_FOUND', `expected a desk ${deskId} of this tenant, but there is none`);
  if (!d.revoked_at) {
    const at = now.toISOString();
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('desks').set({ revoked_at: at }).where('id', '=', deskId).execute();
      await trx.updateTable('api_keys').set({ revoked_at: at }).where('desk_id', '=', deskId).where('revoked_at', 'is', null).execute();
    });
  }
  return deskInfo(db, deskId);
}
