// The desk's link to its organisation's hub: enrolment with a one-time token (each org signing key the vault holds
// is registered with a proof of possession, with the desk's C2PA root), the hub's answer kept in hub_link, and the
// API key it hands out once sealed in the vault (never in the database in clear, never printed).
import type { Keyring } from '../crypto/keyring.ts';
import { CustodyError } from '../errors.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { HubClient, hubBaseUrl, hubError, requireTls } from './hub-client.ts';
import { enrolmentProofBytes } from './hub-records.ts';
import { setSetting } from '../store/settings.ts';
import { parseVerifierKey } from '../tlog/note.ts';

/** The hub's log verifier key (`name+id+base64`), pinned at enrolment (connectHub), or at the first pull that served it when the hub served none then (proofs.ts). */
export const HUB_LOG_KEY_SETTING = 'hub.log_key';

/** The vault secret holding the hub API key (scopes ingest and verify). */
export const HUB_API_KEY_SECRET = 'hub:api-key';

export interface HubLinkInfo {
  url: string;
  deskId: string;
  deskName: string;
  org: string;
  tenantId: string;
  apiKeyId: string;
  connectedAt: string;
  lastContactAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

interface Row {
  url: string;
  desk_id: string;
  desk_name: string;
  org: string;
  tenant_id: string;
  api_key_id: string;
  connected_at: string;
  last_contact_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
}

/**
 * The origin of this organisation's log (`<key name>/<tenant id>`, the tenant the hub named at enrolment): the hub
 * signs every organisation's log with one key, so a checkpoint is this organisation's only under this origin.
 * Null when the desk is not connected.
 */
export function logOrigin(db: ReadableDB, keyName: string): string | null {
  const link = readHubLink(db);
  return link ? `${keyName}/${link.tenantId}` : null;
}

export function readHubLink(db: ReadableDB): HubLinkInfo | null {
  const r = db.get<Row>(sql`SELECT * FROM hub_link WHERE id = 1`);
  return r
    ? { url: r.url, deskId: r.desk_id, deskName: r.desk_name, org: r.org, tenantId: r.tenant_id, apiKeyId: r.api_key_id, connectedAt: r.connected_at, lastContactAt: r.last_contact_at, lastError: r.last_error, lastErrorAt: r.last_error_at }
    : null;
}

/** A hub answered (any answer): it is reachable. */
export function noteHubContact(db: WritableDB, at: string): void {
  db.run(sql`UPDATE hub_link SET last_contact_at = ${at}, last_error = NULL, last_error_at = NULL WHERE id = 1`);
}

export function noteHubError(db: WritableDB, error: string, at: string): void {
  db.run(sql`UPDATE hub_link SET last_error = ${error}, last_error_at = ${at} WHERE id = 1`);
}

/** The API key, from the vault (which must be open). */
export function hubApiKey(keyring: Keyring): string {
  const k = keyring.findSecret(HUB_API_KEY_SECRET);
  if (!k) throw new CustodyError('NOT_FOUND', 'expected the hub API key in the vault, but there is none: connect the desk again (`custody hub connect URL --enrolment-token T`)');
  return Buffer.from(k).toString('utf8');
}

export interface ConnectRequest {
  url: string;
  token: string;
  /** How the desk is named on the hub. */
  name: string;
  c2paRootPem: string | null;
  /** Accepts a plain-http URL to another machine (requireTls): the admin's explicit choice, audited. */
  plainHttp?: boolean;
  /**
   * The hub's checkpoint verifier key as its admin gave it out of band (`custody hub key`): enrolment is refused,
   * before the token is used, unless the hub serves this key. Without it the key the hub serves at enrolment is
   * pinned (trust on first use, at the moment an admin connects rather than at some later pull).
   */
  hubKey?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const ENROL_ANSWER = (b: Record<string, unknown>) => {
  const desk = b.desk as Record<string, unknown> | undefined;
  if (typeof b.apiKey !== 'string' || typeof b.apiKeyId !== 'string' || typeof b.org !== 'string' || !desk || typeof desk.id !== 'string' || typeof desk.tenantId !== 'string') {
    throw new CustodyError('HUB_UNREACHABLE', 'expected the hub to answer an enrolment with the desk, the organisation and an API key, got something else: is this URL a Custody hub?');
  }
  return { apiKey: b.apiKey, apiKeyId: b.apiKeyId, org: b.org, deskId: desk.id, tenantId: desk.tenantId, deskName: typeof desk.name === 'string' ? desk.name : '' };
};

/**
 * Enrols the desk: every signing key the vault holds (records signed with a retired key must be accepted too),
 * each with its proof over the token, and the C2PA root. On success the link and the sealed API key are stored in
 * one transaction. A desk links to one hub; connecting again is refused (its keys are enrolled there already).
 */
export async function connectHub(db: WritableDB, keyring: Keyring, req: ConnectRequest, now = new Date()): Promise<HubLinkInfo> {
  const existing = readHubLink(db);
  if (existing) throw new CustodyError('ALREADY_INITIALIZED', `expected a desk not yet connected to a hub, got one connected to ${existing.url} as desk ${existing.deskId} since ${existing.connectedAt}`);
  const url = hubBaseUrl(req.url);
  requireTls(url, req.plainHttp === true);
  if (req.token.trim() === '') throw new CustodyError('INVALID_ARGUMENT', 'expected an enrolment token from the hub admin, got an empty one');
  const keys = keyring.heldSigningKeys().map((k) => {
    const signer = keyring.signerFor(k.id);
    return { publicKey: k.publicKey, proof: Buffer.from(signer.sign(enrolmentProofBytes(req.token, k.publicKey))).toString('hex') };
  });
  if (keys.length === 0) throw new CustodyError('NOT_FOUND', 'expected at least one org signing key in the vault to enrol, got none');
  const client = new HubClient(url, null, { ...(req.fetch ? { fetch: req.fetch } : {}), ...(req.timeoutMs ? { timeoutMs: req.timeoutMs } : {}) });
  const logKey = await logKeyToPin(client, url, req.hubKey);
  const o = await client.request('POST', '/v1/enrol', { token: req.token, name: req.name, keys, c2paRootPem: req.c2paRootPem });
  if (o.kind === 'unreachable') throw new CustodyError('HUB_UNREACHABLE', `expected the hub at ${url} to answer the enrolment, got no answer (${o.reason})`);
  if (o.status !== 201) throw hubError(o, 'enrol this desk');
  const a = ENROL_ANSWER(o.body);
  const at = now.toISOString();
  db.transaction(() => {
    keyring.replaceSecret(HUB_API_KEY_SECRET, new TextEncoder().encode(a.apiKey), at);
    db.run(sql`INSERT INTO hub_link (id, url, desk_id, desk_name, org, tenant_id, api_key_id, connected_at, last_contact_at)
      VALUES (1, ${url}, ${a.deskId}, ${a.deskName || req.name}, ${a.org}, ${a.tenantId}, ${a.apiKeyId}, ${at}, ${at})`);
    if (logKey) setSetting(db, HUB_LOG_KEY_SETTING, logKey);
  });
  return readHubLink(db)!;
}

/**
 * The log key to pin at enrolment: `expected` (checked against what the hub serves, and refused when it differs or
 * the hub serves none), else what the hub serves, else null (a hub started without its checkpoint key, or an older
 * one: the first pull pins it, as before).
 */
async function logKeyToPin(client: HubClient, url: string, expected: string | undefined): Promise<string | null> {
  const given = expected?.trim();
  if (given !== undefined) {
    try {
      parseVerifierKey(given);
    } catch (e) {
      throw new CustodyError('INVALID_ARGUMENT', `expected the hub's verifier key as \`custody hub key\` prints it (name+id+key), got one that does not parse: ${(e as Error).message}`);
    }
  }
  const o = await client.request('GET', '/v1/log/key');
  const served = o.kind === 'answered' && o.status === 200 && typeof o.body.key === 'string' ? o.body.key : null;
  if (given !== undefined) {
    if (served !== given) {
      throw new CustodyError('CHECKPOINT_WRONG_KEY', `expected the hub at ${url} to sign its checkpoints with the key its admin gave (${given}), got ${served ?? (o.kind === 'unreachable' ? `no answer (${o.reason})` : `no key (HTTP ${o.status})`)}: not enrolled, the token is unused (another server answers at this address, or the key was copied wrong)`);
    }
    return given;
  }
  if (served === null) return null;
  try {
    parseVerifierKey(served);
  } catch {
    return null; // not a key: the first pull asks again, and refuses it there
  }
  return served;
}
