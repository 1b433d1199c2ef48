// The desk's side of the hub, as the Desk offers it (desk.hub): connecting, the link's status with the outbox, a sync
// worker holding the API key, and verification by fingerprints. Everything that needs the API key needs the vault
// open; reading the status does not.
import type { AuditLog } from '../audit/log.ts';
import type { Keyring } from '../crypto/keyring.ts';
import type { UseCase } from '../authz/policy.ts';
import type { Actor } from '../directory/roles.ts';
import { CustodyError, isCustodyError } from '../errors.ts';
import { sql, type WritableDB } from '../store/db.ts';
import { getRecord } from '../store/records.ts';
import { getSetting } from '../store/settings.ts';
import { ALARM_ACTION, HUB_LOG_KEY_SETTING, ProofPuller, anchorState, lastCheckpoint, proofStats, type AnchorState } from './proofs.ts';
import { HubClient, isLoopbackUrl, type HubClientOptions } from './hub-client.ts';
import { CHAIN_CHECK_SETTING, chainCheckTarget, chainCheckTargetOf, checkChainRefs, lastChainCheck, setChainCheckTarget, type ChainCheckOptions, type ChainCheckReport, type ChainCheckTarget, type LastChainCheck } from './chain-check.ts';
import { refutedRefs, type RefutedRef } from './refuted-refs.ts';
import { connectHub, hubApiKey, readHubLink, type HubLinkInfo } from './link.ts';
import { outboxStats, parkedRows, unparkRows, type OutboxStats } from './outbox.ts';
import { PUSHED_KINDS, SyncWorker, type PushReport, type SyncOptions } from './worker.ts';
import { hubMiss, hubQueryOf, verifyWithHub, type HubVerification } from './hub-verify.ts';
import type { VerifyReport } from '../provenance/checks.ts';

export interface HubStatus {
  link: HubLinkInfo | null;
  outbox: OutboxStats;
  /** Kinds the outbox holds that this hub does not take yet (they wait there). */
  held: string[];
  parked: { seq: number; kind: string; ref: string; code: string; reason: string; at: string | null }[];
  /** Proofs from the hub's transparency log held with the records, and the newest checkpoint kept. */
  proofs: {
    held: number; anchored: number; lastReceivedAt: string | null; checkpoint: { size: number; receivedAt: string } | null; logKey: string | null;
    /** Chain references this desk confirmed on the chain (chain-check.ts), and the node and registry the background sync checks with. */
    confirmed: number; chainCheck: ChainCheckTarget | null;
    /** The outcome of the last chain check, the background sync's or one by hand (null: none yet). */
    lastChainCheck: LastChainCheck | null;
  };
  /** A proof or checkpoint the hub sent that did not verify (newest first). */
  alarms: { at: string; code: string; message: string }[];
  /**
   * Chain references the chain refuted (refuted-refs.ts): every standing one, newest first (the hub may serve it
   * again; it is not kept, and raises no new alarm), then the newest superseded by a reference confirmed since.
   */
  refuted: RefutedRef[];
}

export interface BackgroundSync {
  worker: SyncWorker;
  wake(): void;
  stop(): Promise<void>;
}

export interface HubSyncDeps {
  db: WritableDB;
  audit: AuditLog;
  keyring: () => Keyring;
  orgRootPem: () => string | null;
  /** The desk's policy check (core/authz/policy.ts), which throws when the actor may not. */
  authorize: (useCase: UseCase, actor: Actor) => void;
}

export class HubSync {
  readonly #d: HubSyncDeps;
  #running: BackgroundSync | null = null;

  constructor(deps: HubSyncDeps) {
    this.#d = deps;
  }

  get link(): HubLinkInfo | null {
    return readHubLink(this.#d.db);
  }

  /** Enrols this desk with the hub (the vault open; an admin). */
  async connect(actor: Actor, req: { url: string; token: string; name: string; plainHttp?: boolean; hubKey?: string }, opts: HubClientOptions = {}): Promise<HubLinkInfo> {
    this.#d.authorize('hubConnect', actor);
    const keyring = this.#d.keyring();
    const link = await connectHub(this.#d.db, keyring, { ...req, c2paRootPem: firstCertificate(this.#d.orgRootPem()), ...opts });
    // a plain-http link to another machine is on the record as the admin's choice
    const insecure = new URL(link.url).protocol === 'http:' && !isLoopbackUrl(link.url);
    this.#d.audit.act(() =>
      this.#d.audit.append({ actor: actor.name, action: 'hub.connected', subject: link.deskId, details: { url: link.url, org: link.org, deskName: link.deskName, apiKeyId: link.apiKeyId, logKey: getSetting(this.#d.db, HUB_LOG_KEY_SETTING), logKeyGiven: req.hubKey !== undefined, ...(insecure ? { plainHttp: true } : {}) }, at: link.connectedAt }),
    );
    return link;
  }

  /** Confirms the held proofs' chain references on the chain (chain-check.ts); an admin names the node and registry. */
  async checkChain(actor: Actor, o: Omit<ChainCheckOptions, 'by'>): Promise<ChainCheckReport> {
    this.#d.authorize('hubCheckChain', actor);
    return checkChainRefs(this.#d.db, this.#d.audit, { ...o, by: actor.name });
  }

  /**
   * Remembers the node and registry (null: forgets them) for the background sync, which then confirms each new chain
   * reference after pulling proofs; audited as a settings change.
   */
  rememberChainCheck(actor: Actor, target: ChainCheckTarget | null): void {
    this.#d.authorize('hubCheckChain', actor);
    const value = target ? chainCheckTargetOf(target.rpc, target.contract) : null;
    this.#d.audit.act(() => {
      setChainCheckTarget(this.#d.db, value);
      this.#d.audit.append({ actor: actor.name, action: 'settings.changed', subject: CHAIN_CHECK_SETTING, details: { value }, at: new Date().toISOString() });
    });
  }

  /** The background sync's check with the remembered node and registry; null when none is remembered. */
  async checkChainRemembered(): Promise<ChainCheckReport | null> {
    const target = chainCheckTarget(this.#d.db);
    // nothing to check against before the hub's key is pinned (no proof is held without it)
    return target && getSetting(this.#d.db, HUB_LOG_KEY_SETTING) ? checkChainRefs(this.#d.db, this.#d.audit, target) : null;
  }

  status(): HubStatus {
    const outbox = outboxStats(this.#d.db);
    const cp = lastCheckpoint(this.#d.db);
    const held = (Object.keys(outbox.byKind) as (keyof OutboxStats['byKind'])[]).filter((k) => !PUSHED_KINDS.includes(k) && outbox.byKind[k].pending > 0);
    return {
      link: this.link,
      outbox,
      held,
      parked: parkedRows(this.#d.db).map((r) => ({ seq: r.seq, kind: r.kind, ref: r.ref, code: r.parked?.code ?? '', reason: r.parked?.reason ?? '', at: r.lastAttemptAt })),
      proofs: { ...proofStats(this.#d.db), checkpoint: cp ? { size: cp.size, receivedAt: cp.receivedAt } : null, logKey: getSetting(this.#d.db, HUB_LOG_KEY_SETTING), chainCheck: chainCheckTarget(this.#d.db), lastChainCheck: lastChainCheck(this.#d.db) },
      alarms: this.#d.db.all<{ at: string; details: string }>(sql`SELECT at, details FROM audit_log WHERE action = ${ALARM_ACTION} ORDER BY seq DESC LIMIT 10`).map((a) => {
        const d = JSON.parse(a.details) as { code?: string; message?: string };
        return { at: a.at, code: d.code ?? '', message: d.message ?? '' };
      }),
      refuted: refutedRefs(this.#d.db),
    };
  }

  /** A client holding the desk's API key (vault open). */
  client(opts: HubClientOptions = {}): HubClient {
    const link = this.link;
    if (!link) throw new CustodyError('NOT_FOUND', 'expected this desk to be connected to a hub, but it is not: run `custody hub connect URL --enrolment-token T`');
    return new HubClient(link.url, hubApiKey(this.#d.keyring()), opts);
  }

  worker(opts: SyncOptions & HubClientOptions = {}): SyncWorker {
    return new SyncWorker(this.#d.db, this.client(opts), this.#d.keyring, opts);
  }

  /** Pulls inclusion proofs and checkpoints for the delivered records (vault open). */
  puller(opts: HubClientOptions = {}): ProofPuller {
    return new ProofPuller(this.#d.db, this.#d.audit, this.client(opts));
  }

  anchorState(recordId: string): AnchorState {
    return anchorState(this.#d.db, recordId, this.link !== null);
  }

  /**
   * Asks the hub about a copy the desk verified, with the report's fingerprints only. Needs the vault open (the API
   * key is in it); a locked vault, no answer or a refusal is a HubMiss saying why.
   */
  async verify(report: VerifyReport, opts: HubClientOptions = {}): Promise<HubVerification> {
    const link = this.link;
    if (!link) return hubMiss(null, 'this desk is not connected to a hub');
    const query = hubQueryOf(report);
    if (!query) return hubMiss(link.url, 'the copy gave no fingerprint to ask with');
    let client: HubClient;
    try {
      client = this.client({ timeoutMs: 10_000, ...opts });
    } catch (e) {
      return hubMiss(link.url, isCustodyError(e, 'KEY_LOCKED') ? 'the vault is locked, and the hub API key is kept in it' : (e as Error).message);
    }
    const answer = await verifyWithHub(client, query, link.deskId);
    // The desk holds every record it signed (records are never deleted): a record of this desk it does not hold is
    // one the hub made up, not one the desk can show as its own.
    if (answer.reached && answer.record && answer.record.desk.id === link.deskId && !getRecord(this.#d.db, answer.record.id)) {
      return hubMiss(link.url, `the hub traced the copy to record ${answer.record.id} of this desk, which this desk never signed`);
    }
    return answer;
  }

  /**
   * Runs a sync worker in the background (the desktop app's main process, `custody watch`): it pushes now, then
   * whenever woken (a record was signed) or every idle period, backing off while the hub is away. Null when the
   * desk is not connected. stop() abandons a request in flight: its rows stay pending and are sent again later.
   */
  start(onReport?: (r: PushReport) => void, opts: SyncOptions & HubClientOptions = {}): BackgroundSync | null {
    if (!this.link) return null;
    if (this.#running) return this.#running;
    const worker = this.worker(opts);
    const puller = this.puller(opts);
    const abort = new AbortController();
    // after each round's proofs, the new chain references are confirmed on the chain when an admin named one
    const afterPush = async () => {
      await puller.pull();
      await this.checkChainRemembered();
    };
    const done = worker.run(abort.signal, onReport, afterPush).catch(() => undefined);
    const handle: BackgroundSync = {
      worker,
      wake: () => worker.wake(),
      stop: async () => {
        abort.abort();
        await done;
        if (this.#running === handle) this.#running = null;
      },
    };
    this.#running = handle;
    return handle;
  }

  /** The background sync of this process, if one runs. */
  get running(): BackgroundSync | null {
    return this.#running;
  }

  /** Something was queued (a record signed): the background worker, if any, pushes now rather than at its next round. */
  nudge(): void {
    this.#running?.wake();
  }

  /** Puts refused rows back in the queue (after the cause was fixed); audited. */
  retryParked(actor: Actor, seq?: number): number {
    this.#d.authorize('hubRetryParked', actor);
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
