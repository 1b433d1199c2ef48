// The desk's side of the hub, as the Desk offers it (desk.hub): connecting, the link's status with the outbox, a sync
// worker holding the API key, and verification by fingerprints. Everything that needs the API key needs the vault
// open; reading the status does not.
import type { AuditLog } from '../audit/log.ts';
import type { Keyring } from '../crypto/keyring.ts';
import type { Actor } from '../directory/roles.ts';
import { CustodyError } from '../errors.ts';
import type { WritableDB } from '../store/db.ts';
import { HubClient, type HubClientOptions } from './hub-client.ts';
import { connectHub, hubApiKey, readHubLink, type HubLinkInfo } from './link.ts';
import { outboxStats, parkedRows, unparkRows, type OutboxStats } from './outbox.ts';
import { PUSHED_KINDS, SyncWorker, type SyncOptions } from './worker.ts';

export interface HubStatus {
  link: HubLinkInfo | null;
  outbox: OutboxStats;
  /** Kinds the outbox holds that this hub does not take yet (they wait there). */
  held: string[];
  parked: { seq: number; kind: string; ref: string; code: string; reason: string; at: string | null }[];
}

export interface HubSyncDeps {
  db: WritableDB;
  audit: AuditLog;
  keyring: () => Keyring;
  orgRootPem: () => string | null;
}

export class HubSync {
  readonly #d: HubSyncDeps;

  constructor(deps: HubSyncDeps) {
    this.#d = deps;
  }

  get link(): HubLinkInfo | null {
    return readHubLink(this.#d.db);
  }

  /** Enrols this desk with the hub (the vault open; an admin, checked by the caller's policy). */
  async connect(actor: Actor, req: { url: string; token: string; name: string }, opts: HubClientOptions = {}): Promise<HubLinkInfo> {
    const keyring = this.#d.keyring();
    const link = await connectHub(this.#d.db, keyring, { ...req, c2paRootPem: firstCertificate(this.#d.orgRootPem()), ...opts });
    this.#d.audit.act(() =>
      this.#d.audit.append({ actor: actor.name, action: 'hub.connected', subject: link.deskId, details: { url: link.url, org: link.org, deskName: link.deskName, apiKeyId: link.apiKeyId }, at: link.connectedAt }),
    );
    return link;
  }

  status(): HubStatus {
    const outbox = outboxStats(this.#d.db);
    const held = (Object.keys(outbox.byKind) as (keyof OutboxStats['byKind'])[]).filter((k) => !PUSHED_KINDS.includes(k) && outbox.byKind[k].pending > 0);
    return {
      link: this.link,
      outbox,
      held,
      parked: parkedRows(this.#d.db).map((r) => ({ seq: r.seq, kind: r.kind, ref: r.ref, code: r.parked?.code ?? '', reason: r.parked?.reason ?? '', at: r.lastAttemptAt })),
    };
  }

  /** A client holding the desk's API key (vault open). */
  client(opts: HubClientOptions = {}): HubClient {
    const link = this.link;
    if (!link) throw new CustodyError('NOT_FOUND', 'expected this desk to be connected to a hub, but it is not: run `custody hub connect URL --enrolment-token T`');
    return new HubClient(link.url, hubApiKey(this.#d.keyring()), opts);
  }

  worker(opts: SyncOptions & HubClientOptions = {}): SyncWorker {
    return new SyncWorker(this.#d.db, this.client(opts), opts);
  }

  /** Puts refused rows back in the queue (after the cause was fixed); audited. */
  retryParked(actor: Actor, seq?: number): number {
    const at = new Date().toISOString();
    return this.#d.audit.act(() => {
      const n = unparkRows(this.#d.db, seq);
      this.#d.audit.append({ actor: actor.name, action: 'hub.parked_retried', subject: seq === undefined ? null : String(seq), details: { rows: n }, at });
      return n;
    });
  }
}

/** The org root certificate alone (orgRootPem may append the ML-DSA key, which the hub's enrolment does not take). */
function firstCertificate(pem: string | null): string | null {
  const m = pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*/);
  return m ? m[0].trimEnd() + '\n' : null;
}
