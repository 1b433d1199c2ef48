// The composition root: a Desk built from a data directory. The CLI, the Electron main process and web mode all
// go through it.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AUDIT_HEAD_FILE } from './audit/checkpoint.ts';
import { AuditLog, auditEntries, signedEntry, type AuditVault } from './audit/log.ts';
import { Keyring, listSigningKeys, type SigningKeyInfo } from './crypto/keyring.ts';
import { PassphraseProtector, type KeyProtector, type ScryptParams } from './crypto/vault.ts';
import { Directory, checkNewUser } from './directory/directory.ts';
import { LdapAdmin } from './directory/ldap-admin.ts';
import { ldapSource } from './directory/ldap-settings.ts';
import { AttemptThrottle, type ThrottlePolicy } from './directory/throttle.ts';
import type { Actor } from './directory/roles.ts';
import { authorizeActor, type UseCase } from './authz/policy.ts';
import { parseChainPem } from './c2pa/certificates.ts';
import { CustodyError, isCustodyError } from './errors.ts';
import { DEFAULT_LIMITS, FORMAT_EXTENSIONS, detectFile, isImageFormat, type Limits } from './media/detect.ts';
import { metadataEdits, type PhotoMetadata } from './media/photo-metadata.ts';
import type { ProgressListener } from './media/progress.ts';
import { readPhotoMetadata } from './media/read-metadata.ts';
import type { VerifyReport } from './provenance/checks.ts';
import { defaultTarget, type OutputTarget } from './provenance/output.ts';
import { recoverPlacements } from './provenance/placement.ts';
import { ScanAhead } from './provenance/scan-ahead.ts';
import { signImage, type SignContext, type SignReceipt } from './provenance/sign-image.ts';
import type { SignPool } from './provenance/sign-pool.ts';
import { summary } from './provenance/verdict-words.ts';
import { verifyImage } from './provenance/verify-image.ts';
import { signVideo } from './provenance/sign-video.ts';
import { verifyVideo } from './provenance/verify-video.ts';
import { addTrustAnchors, c2paSigner, createOrgCredentials, importCredentials, orgRootExport, pqEnabled, pqKeyPair, registeredPqKeys, setPqEnabled, signingChainPem, trustAnchorsPem } from './provenance/credentials.ts';
import type { C2paSigner } from './c2pa/signer.ts';
import { loadC2pa } from './c2pa/wasm.ts';
import { openStore, type Store } from './store/db.ts';
import { DB_FILE } from './store/home.ts';
import { preparePrivateFolder } from './store/private-folder.ts';
import { SCRATCH_DIR, sweepDeadFolders } from './store/scratch.ts';
import { getRecord, latestSignedFrom, listRecords, type SignedRecord } from './store/records.ts';
import { getSetting, setSetting } from './store/settings.ts';
import { HubSync } from './sync/hub-sync.ts';
import { pendingTimestamps, recordStampOutcome, recordTimestamps, setTsaAnchors, setTsaUrl, stampPending, timestampAddOnFor, TSA_ANCHORS, TSA_URL, tsaAnchorsPem, tsaUrl, type RecordTimestamp, type StampRun } from './provenance/timestamps.ts';
import { listWrappedKinds } from './store/vault-rows.ts';
import type { PublishContext } from './workflow/publish.ts';
import { Workflow } from './workflow/service.ts';
import type { FolderRules } from './watch/folders.ts';
import { checkAllowedRoots, confine, type PathUse } from './paths/confine.ts';


// where a desk lives, from a module the CLI loads before the desk (cli/context.ts)
export { DB_FILE, resolveHome } from './store/home.ts';

export interface DeskOptions {
  /** scrypt cost of new password hashes (tests lower it). */
  passwordParams?: ScryptParams;
  /** Guessing limits for logins and unlocks (tests shorten the waits). */
  throttle?: ThrottlePolicy;
}

/** The vault-passphrase holder, as an actor: signs without a user, and creates the first admin of a desk. */
export const DESK_ACTOR: Actor = { name: 'desk', roles: ['admin'] };

/** The vault as the audit log sees it: the current key to sign, the keys it holds to verify, its ratchet secrets. */
function auditVaultOf(keyring: Keyring, since: string): AuditVault {
  return {
    signer: keyring.signer(),
    findSecret: (name) => keyring.findSecret(name),
    putSecret: (name, secret) => keyring.putSecret(name, secret, since),
    deleteSecret: (name) => keyring.deleteSecret(name),
    orgKeys: () => keyring.heldSigningKeys().map((k) => ({ keyId: k.id, publicKey: k.publicKey })),
  };
}


export interface ItemComment {
  /** The audit entry that holds it. */
  seq: number;
  at: string;
  by: string;
  text: string;
}

const COMMENT_ACTION = 'item.commented';
const ALLOWED_ROOTS = 'paths.allowed_roots';
const SIGNED_DIR = 'signed';

/** Folders a caller's paths must lie under, and what to call them in a refusal. */
export interface Confinement {
  roots: readonly string[];
  name: string;
}
const MAX_COMMENT = 4000;

export interface DeskInfo {
  home: string;
  org: string;
  createdAt: string;
  limits: Limits;
}

export class Desk {
  readonly home: string;
  readonly store: Store;
  /** The tamper-evident audit log; its head checkpoint is CUSTODY_HOME/audit-head.json. */
  readonly audit: AuditLog;
  readonly directory: Directory;
  /** The LDAP/AD directory that users may log in with (configured by an admin). */
  readonly ldap: LdapAdmin;
  readonly workflow: Workflow;
  /** The organisation's hub: the link, the outbox, verification by fingerprints (core/sync). */
  readonly hub: HubSync;
  #keyring: Keyring | null = null;
  readonly #throttle: AttemptThrottle;
  #c2paSigner: C2paSigner | null | undefined = undefined;
  /** The photo prepareSigning scanned while the vault unlocked, for the sign of that path to take. */
  #ahead: ScanAhead | null = null;

  private constructor(home: string, store: Store, opts: DeskOptions = {}) {
    this.home = home;
    this.store = store;
    this.audit = new AuditLog(store, { checkpointPath: join(home, AUDIT_HEAD_FILE) });
    // The directory's service password is in the vault: asking it needs the keys unlocked (KEY_LOCKED otherwise).
    const ldap = () => ldapSource(store, this.#keyring);
    this.directory = new Directory(store, this.audit, { ...(opts.passwordParams ? { passwordParams: opts.passwordParams } : {}), ...(opts.throttle ? { throttle: opts.throttle } : {}), ldap });
    this.ldap = new LdapAdmin(store, this.audit, () => this.#requireKeyring());
    this.#throttle = new AttemptThrottle(store, opts.throttle);
    this.workflow = new Workflow({ db: store, audit: this.audit, signer: () => this.#requireKeyring().signer(), c2pa: () => this.#publishC2pa(), org: () => this.info.org,
      // the desk's own outputs folder (web mode's signed uploads are there) is its to write into; any other is confined
      outputFolder: (dir) => (resolve(dir) === resolve(this.signedDir) ? this.signedDir : this.confine(dir, 'folder')) });
    this.hub = new HubSync({ db: store, audit: this.audit, keyring: () => this.#requireKeyring(), orgRootPem: () => this.#orgRootOrNull(), authorize: (u, a) => this.#authorize(u, a) });
  }

  static isInitialized(home: string): boolean {
    return existsSync(join(home, DB_FILE));
  }

  /** Creates a desk: database, key vault, the first org signing key, the audit log, and the first admin if named. */
  static async init(
    home: string,
    opts: { org: string; protector: KeyProtector; now?: Date; admin?: { name: string; password: string } } & DeskOptions,
  ): Promise<{ desk: Desk; key: SigningKeyInfo }> {
    if (opts.org.trim() === '') throw new CustodyError('INVALID_ARGUMENT', 'expected an organisation name, got an empty one');
    if (Desk.isInitialized(home)) {
      throw new CustodyError('ALREADY_INITIALIZED', `expected no desk at ${home}, but one exists already (set CUSTODY_HOME to create another)`);
    }
    // Checked before the database file exists, so that a weak passphrase or a bad admin leaves no desk behind.
    if (opts.protector instanceof PassphraseProtector) opts.protector.requireStrong();
    if (opts.admin) checkNewUser({ ...opts.admin, roles: ['admin'] });
    const now = (opts.now ?? new Date()).toISOString();
    preparePrivateFolder(home, DB_FILE);
    const store = openStore(join(home, DB_FILE));
    const desk = new Desk(home, store, opts);
    try {
      const admin = opts.admin ? await desk.directory.prepareUser({ ...opts.admin, roles: ['admin'] }) : null;
      desk.#keyring = await Keyring.create(store, opts.protector, now);
      await createOrgCredentials(store, desk.#keyring, opts.org.trim(), new Date(now));
      const key = desk.audit.act(() => {
        const k = desk.#keyring!.createSigningKey(now);
        desk.audit.attachVault(auditVaultOf(desk.#keyring!, now));
        desk.audit.seal(now);
        setSetting(store, 'org', opts.org.trim());
        setSetting(store, 'created_at', now);
        desk.audit.append({ actor: 'desk', action: 'desk.created', subject: null, details: { org: opts.org.trim() }, at: now });
        desk.audit.append({ actor: 'desk', action: 'key.created', subject: k.id, details: { keyId: k.id, algorithm: k.algorithm, publicKey: k.publicKey }, at: now });
        desk.audit.append({ actor: 'desk', action: 'certificate.created', subject: null, details: { kind: 'c2pa-org-root-and-signing' }, at: now });
        if (admin) desk.directory.insertUser(DESK_ACTOR, admin, now);
        return k;
      });
      return { desk, key };
    } catch (e) {
      store.close();
      throw e;
    }
  }

  static open(home: string, opts: DeskOptions = {}): Desk {
    if (!Desk.isInitialized(home)) {
      throw new CustodyError('NOT_INITIALIZED', `expected a desk at ${home}, but there is none: run \`custody init --org NAME\` first`);
    }
    preparePrivateFolder(home, DB_FILE);
    const desk = new Desk(home, openStore(join(home, DB_FILE)), opts);
    sweepDeadFolders(join(home, SCRATCH_DIR));
    desk.recoverPlacements();
    return desk;
  }

  /**
   * Finishes (or, when its bytes are gone, records the loss of) every signed output a dead process left unplaced.
   * Run when the desk opens, and again when a watcher starts: another process on this desk (a CLI, a watcher) may
   * have died since.
   */
  recoverPlacements(): void {
    const at = new Date().toISOString();
    for (const r of recoverPlacements(this.store)) {
      this.audit.act(() =>
        this.audit.append({
          actor: 'desk',
          action: r.outcome === 'placed' ? 'record.output_placed' : 'record.output_lost',
          subject: r.recordId,
          details: { output: r.output, why: 'the signing process stopped between recording the signature and placing the file' },
          at,
        }),
      );
    }
  }

  get info(): DeskInfo {
    return {
      home: this.home,
      org: getSetting(this.store, 'org') ?? '',
      createdAt: getSetting(this.store, 'created_at') ?? '',
      limits: this.limits,
    };
  }

  get limits(): Limits {
    const bytes = Number(getSetting(this.store, 'limits.max_image_bytes') ?? NaN);
    const pixels = Number(getSetting(this.store, 'limits.max_pixels') ?? NaN);
    const seconds = Number(getSetting(this.store, 'limits.max_video_seconds') ?? NaN);
    return {
      maxImageBytes: Number.isFinite(bytes) && bytes > 0 ? bytes : DEFAULT_LIMITS.maxImageBytes,
      maxPixels: Number.isFinite(pixels) && pixels > 0 ? pixels : DEFAULT_LIMITS.maxPixels,
      maxVideoSeconds: Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_LIMITS.maxVideoSeconds,
    };
  }

  get unlocked(): boolean {
    return this.#keyring !== null;
  }

  /**
   * Unlocks the vault, and seals (signs) the audit entries written while it was locked. Failed unlocks are
   * throttled like logins (per protector kind, counted in the database) and each is an audit entry.
   */
  async unlock(protector: KeyProtector, now = new Date()): Promise<void> {
    this.#keyring = await this.#openKeyring(protector, now);
    this.audit.attachVault(auditVaultOf(this.#keyring, now.toISOString()));
    this.audit.seal(now.toISOString());
    this.audit.writeCheckpoint();
  }

  async #openKeyring(protector: KeyProtector, now: Date): Promise<Keyring> {
    // A vault not protected by this kind at all is a wrong tool, not a guess: it is refused without counting.
    if (!this.hasProtector(protector.kind)) return Keyring.unlock(this.store, protector);
    const key = `vault:${protector.kind}`;
    const failed = (reason: string) =>
      this.audit.act(() => this.audit.append({ actor: 'anonymous', action: 'vault.unlock_failed', subject: protector.kind, details: { reason }, at: now.toISOString() }));
    try {
      this.#throttle.begin(key, `the vault (${protector.kind})`, now);
    } catch (e) {
      failed('rate_limited');
      throw e;
    }
    try {
      const keyring = await Keyring.unlock(this.store, protector);
      this.#throttle.succeeded(key);
      return keyring;
    } catch (e) {
      if (isCustodyError(e, 'KEY_LOCKED')) failed('wrong secret');
      throw e;
    }
  }

  /**
   * Whoever holds the vault passphrase, acting as admin while the desk has no users yet, so that a desk created
   * without --admin can still get its first admin. Null once there are users, or while the vault is locked.
   */
  bootstrapActor(): Actor | null {
    return this.unlocked && !this.directory.hasUsers() ? DESK_ACTOR : null;
  }

  /**
   * Checks an act against the authorization policy (core/authz/policy.ts). The bootstrap actor passes only while
   * the desk has no users: once it has, "desk" is nobody.
   */
  #authorize(useCase: UseCase, actor: Actor): void {
    if (actor.name === DESK_ACTOR.name && this.directory.hasUsers()) {
      throw new CustodyError('NOT_AUTHENTICATED', `expected a logged-in user to ${useCase} on a desk with users, got the vault-passphrase holder alone`);
    }
    authorizeActor(useCase, actor);
  }

  /**
   * A user as the directory knows them now, for acting on their behalf while they are away (a watched folder acts
   * as whoever configured it): their current roles, never a disabled account nor a directory user the directory
   * has stopped vouching for; "desk" only while there are no users.
   */
  actorFor(name: string): Actor {
    if (name === DESK_ACTOR.name) {
      const desk = this.bootstrapActor();
      if (desk) return desk;
      throw new CustodyError('NOT_PERMITTED', this.unlocked
        ? 'expected a user to act for, got "desk", which acts only on a desk without users: add the watched folder again as a user'
        : 'expected the desk keys unlocked to act as "desk", but they are locked');
    }
    return this.directory.actingUser(name);
  }

  /** Lets another protector open the vault from now on (the vault must be unlocked). */
  async addProtector(protector: KeyProtector): Promise<void> {
    const at = new Date().toISOString();
    await this.#requireKeyring().addProtector(protector, at);
    this.audit.act(() => this.audit.append({ actor: 'desk', action: 'vault.protector_added', subject: protector.kind, details: { kind: protector.kind }, at }));
  }

  /** Whether the vault has a data key wrapped for this kind of protector. */
  hasProtector(kind: string): boolean {
    return listWrappedKinds(this.store).includes(kind);
  }

  #requireKeyring(): Keyring {
    if (!this.#keyring) throw new CustodyError('KEY_LOCKED', 'expected an unlocked key vault to sign, but it is locked');
    return this.#keyring;
  }

  /**
   * `target` names the output exactly (a free variant is taken if the name exists); `onRecord` runs inside the
   * record's transaction, where the watch queue links its job to the record.
   */
  async sign(
    path: string,
    opts: {
      outDir?: string;
      now?: Date;
      target?: OutputTarget;
      onRecord?: SignContext['onRecord'];
      /** Who signs: a user, the vault-passphrase holder on a desk without users, or a watched folder's owner. */
      actor: Actor;
      digitalSourceType?: string | null;
      /** IPTC fields laid over the file's own before signing (images: JPEG, PNG, WebP); see core/media/photo-metadata.ts. */
      metadata?: Partial<Record<keyof PhotoMetadata, unknown>>;
      /** Videos: how far signing has got, 0 to 100 %, and its phase. */
      onProgress?: ProgressListener;
      /** The input and output must lie under these folders (web mode: its uploads and the allowed roots). */
      confineTo?: Confinement;
      /** Without outDir: into the desk's own signed/ folder rather than beside the input (an upload that goes away). */
      deskOutputs?: boolean;
      /** Render a photo in these sign workers (a watched folder's); the keys and the record stay on this thread. */
      signPool?: SignPool | null;
      /**
       * Sign bytes this desk has already signed as a new record. Without it such a file is refused with
       * ALREADY_SIGNED (naming the record, when and by whom), so that every front end asks before a second record.
       */
      again?: boolean;
    },
  ): Promise<SignReceipt> {
    this.#authorize('sign', opts.actor);
    const limits = this.limits;
    const input = this.#confined(path, 'read', opts.confineTo);
    const { format } = await detectFile(input, limits);
    const signer = this.#requireKeyring().signer();
    const outDir = opts.outDir !== undefined ? this.#confined(opts.outDir, 'folder', opts.confineTo) : opts.deskOutputs ? this.signedDir : undefined;
    const target = opts.target ?? defaultTarget(input, FORMAT_EXTENSIONS[format], outDir);
    // Beside the input: the input's folder is judged as an output folder too (nothing is written into /usr or /etc).
    if (!opts.target && outDir === undefined) this.#confined(target.dir, 'folder', opts.confineTo);
    const credentials = await this.#c2paContext();
    // With a TSA configured, the claim signature is time-stamped, or the stamp is queued in the record's transaction.
    const stamp = credentials ? timestampAddOnFor(this.store) : null;
    const onRecord: SignContext['onRecord'] = (db, record) => {
      this.audit.append({
        actor: opts.actor.name,
        action: 'record.signed',
        subject: record.id,
        details: { input: record.inputName, sha256: record.sha256, outputSha256: record.outputSha256, phash: record.phash, keyId: record.keyId, watermark: record.watermark, timestamp: stamp?.outcome?.status ?? null },
        at: record.signedAt,
      });
      opts.onRecord?.(db, record);
    };
    // The signer's choice of IPTC digital source type (or a watched folder's) goes into the c2pa.created action.
    const metadata = opts.metadata === undefined ? undefined : metadataEdits(opts.metadata);
    if (metadata !== undefined && !isImageFormat(format)) {
      throw new CustodyError('UNSUPPORTED_FORMAT', `expected a photo (JPEG, PNG, WebP) to write IPTC metadata into, got a ${format.toUpperCase()} video; sign it without metadata`);
    }
    const sourceType = typeof metadata?.digitalSourceType === 'string' ? metadata.digitalSourceType : opts.digitalSourceType;
    const c2pa = credentials && { ...credentials, ...(sourceType ? { digitalSourceType: sourceType as string } : {}), ...(stamp ? { addOns: [stamp] } : {}) };
    const ctx: SignContext = {
      db: this.store, signer, limits, org: this.info.org, c2pa, scratchDir: join(this.home, SCRATCH_DIR), ...(metadata !== undefined ? { metadata } : {}),
      ...(opts.again ? {} : { checkOriginal: (sha256: string) => this.#refuseSignedBefore(sha256) }),
      onRecord: (db, record) => {
        if (stamp?.outcome && record.kind !== 'segment') recordStampOutcome(db, record.id, 'signed', stamp.url, stamp.outcome, new Date(record.signedAt));
        onRecord(db, record);
      },
    };
    const pool = opts.signPool?.live ? opts.signPool : null;
    const ahead = this.#takeAhead(input);
    const receipt = await (isImageFormat(format)
      ? signImage(ctx, input, format, target, opts.now, pool, pool ? null : ahead)
      : signVideo(ctx, input, format, target, { ...(opts.now ? { now: opts.now } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) })
    ).finally(() => ahead?.drop());
    this.audit.writeCheckpoint();
    // The TSA answered: catch up on the stamps it missed that are due. Best effort: whatever fails stays pending
    // (custody timestamps list), and the signature just made is already complete.
    if (stamp?.outcome?.status === 'embedded') await this.stampPending(opts.actor).catch(() => undefined);
    this.hub.nudge();
    return stamp?.outcome ? { ...receipt, c2pa: { ...receipt.c2pa, timestamp: stamp.outcome.status } } : receipt;
  }

  /** ALREADY_SIGNED when these original bytes have a record on this desk: the newest, when, and who signed it. */
  #refuseSignedBefore(sha256: string): void {
    const r = latestSignedFrom(this.store, sha256);
    if (!r) return;
    const by = signedEntry(this.store, r.id)?.actor ?? null;
    throw new CustodyError(
      'ALREADY_SIGNED',
      `expected a file this desk has not signed yet, got the same bytes (SHA-256 ${sha256.slice(0, 16)}…) as record ${r.id}, signed ${r.signedAt}${by ? ` by ${by}` : ''}; sign it again to make a second record`,
      { recordId: r.id, signedAt: r.signedAt, by, sha256 },
    );
  }

  /** The IPTC fields a file carries (XMP, IIM, EXIF), for the signer to edit before signing it. */
  async fileMetadata(path: string, opts: { actor: Actor; confineTo?: Confinement }): Promise<{ fields: PhotoMetadata; writable: boolean }> {
    this.#authorize('fileMetadata', opts.actor);
    const input = this.#confined(path, 'read', opts.confineTo);
    const { format } = await detectFile(input, this.limits);
    if (!isImageFormat(format)) return { fields: {}, writable: false };
    return { fields: await readPhotoMetadata(await readFile(input), format), writable: format === 'jpeg' || format === 'png' || format === 'webp' };
  }

  /** Verification needs no passphrase; its audit entry is chained now and sealed at the next unlock. */
  async verify(
    path: string,
    opts: {
      actor?: Actor | null;
      now?: Date;
      onProgress?: ProgressListener;
      confineTo?: Confinement;
      /** Ask the organisation's hub too, with fingerprints only (default: when the desk is connected to one). */
      hub?: boolean;
      /** A photo's watermark searched for deeper when the usual search finds none (extract.ts, deepSearch): slower. */
      deep?: boolean;
    } = {},
  ): Promise<VerifyReport> {
    const report = await this.#verifyFile(this.#confined(path, 'read', opts.confineTo), opts.onProgress, opts.deep ?? false);
    report.summary = summary(report);
    if (opts.hub !== false && this.hub.link) report.hub = await this.hub.verify(report);
    const at = (opts.now ?? new Date()).toISOString();
    this.audit.act(() =>
      this.audit.append({
        actor: opts.actor?.name ?? 'anonymous',
        action: 'record.verified',
        subject: report.recordId,
        details: {
          file: report.file, sha256: report.checks.sha256.sha256 ?? null, verdict: report.verdict, confidence: report.confidence,
          ...(report.hub ? { hub: report.hub.reached ? { verdict: report.hub.verdict, recordId: report.hub.record?.id ?? null, desk: report.hub.record?.desk.id ?? null } : { reached: false } } : {}),
        },
        at,
      }),
    );
    return report;
  }

  async #verifyFile(path: string, onProgress: ProgressListener | undefined, deepWatermark: boolean): Promise<VerifyReport> {
    const limits = this.limits;
    const { format } = await detectFile(path, limits);
    const ctx = { db: this.store, limits, trustAnchorsPem: trustAnchorsPem(this.store), pqKeys: registeredPqKeys(this.store, this.info.org), tsaAnchorsPem: tsaAnchorsPem(this.store), deepWatermark };
    if (isImageFormat(format)) return verifyImage(ctx, path, format);
    return verifyVideo(ctx, path, format, onProgress ? { onProgress } : {});
  }

  /**
   * Starts, without waiting for it, what the first signature of this process would otherwise set up on its way:
   * compiling c2pa-wasm when the desk writes Content Credentials, and with `first` (the path the command signs
   * first), reading and scanning that photo (scan-ahead.ts: decode, pHash, the watermark's luma grid, the layout;
   * no key, nothing written). For a command about to sign, called while the vault unlocks (scrypt on libuv's thread
   * pool), when this thread would otherwise wait. The sign of that path takes the scan only if it was made from the
   * bytes the sign reads; a path the desk may not read is not read here either. Callers need not wait: the promise
   * settles when the scan is ready or has failed (true: there is one), and never rejects.
   */
  prepareSigning(first?: string): Promise<boolean> {
    const c2pa = !!signingChainPem(this.store);
    if (c2pa) loadC2pa().catch(() => undefined);
    if (first === undefined) return Promise.resolve(false);
    let input: string;
    try {
      input = this.#confined(first, 'read', undefined);
    } catch {
      return Promise.resolve(false); // the sign refuses it with its reasons
    }
    this.#ahead?.drop();
    this.#ahead = new ScanAhead(input, this.limits, undefined, c2pa);
    return this.#ahead.ready();
  }

  /** The scan prepareSigning made of `input`, once (null for any other path); the caller drops it if it goes unused. */
  #takeAhead(input: string): ScanAhead | null {
    const ahead = this.#ahead;
    if (!ahead || ahead.path !== input) return null;
    this.#ahead = null;
    return ahead;
  }

  async #c2paContext(): Promise<SignContext['c2pa']> {
    const keyring = this.#requireKeyring();
    if (this.#c2paSigner === undefined) this.#c2paSigner = await c2paSigner(this.store, keyring);
    // c2pa-wasm compiles on V8's background threads while the image is decoded and marked, rather than after it is
    // encoded (a fresh process's first signature waited for it); a failure surfaces where the manifest is embedded
    if (this.#c2paSigner) loadC2pa().catch(() => undefined);
    return this.#c2paSigner ? { signer: this.#c2paSigner, pq: pqKeyPair(this.store, keyring) } : null;
  }

  /** Publication judges the signed output's own manifest with the org's anchors when it takes it in as the parent. */
  async #publishC2pa(): Promise<PublishContext['c2pa']> {
    const c = await this.#c2paContext();
    return c && { signer: c.signer, pq: c.pq, trustAnchorsPem: trustAnchorsPem(this.store), timestamp: timestampAddOnFor(this.store) };
  }

  #orgRootOrNull(): string | null {
    try {
      return this.orgRootPem() || null;
    } catch {
      return null;
    }
  }

  /** The org root certificate (PEM), then the org's ML-DSA-65 key in hybrid mode: what verifiers add as a trust anchor. */
  orgRootPem(): string {
    return orgRootExport(this.store);
  }

  /** Installs a CA-issued signing chain and its key for Content Credentials. */
  async importCertificate(actor: Actor, chainPem: string, keyPem: string): Promise<{ subject: string; issuer: string }> {
    this.#authorize('certificateImport', actor);
    const now = new Date();
    const r = await importCredentials(this.store, this.#requireKeyring(), chainPem, keyPem, now);
    this.#c2paSigner = undefined;
    this.audit.act(() => this.audit.append({ actor: actor.name, action: 'certificate.imported', subject: null, details: r, at: now.toISOString() }));
    return r;
  }

  /** Adds roots to the trust list that verification accepts besides the org root. */
  addTrustAnchors(actor: Actor, pem: string): { roots: number; pqKeys: number; already: number } {
    this.#authorize('trustAdd', actor);
    const at = new Date().toISOString();
    return this.audit.act(() => {
      const added = addTrustAnchors(this.store, pem);
      // Trusting what is already trusted changes nothing, so the log gets no entry for it.
      if (added.roots + added.pqKeys > 0) {
        this.audit.append({ actor: actor.name, action: 'settings.trust_anchors_added', subject: null, details: { certificates: added.roots, pqKeys: added.pqKeys }, at });
      }
      return added;
    });
  }

  /** The folders an admin allows watched folders (and web mode's files) under; empty until one is set. */
  get allowedRoots(): string[] {
    const v = getSetting(this.store, ALLOWED_ROOTS);
    return v ? (JSON.parse(v) as string[]) : [];
  }

  /** Where watched folders may live (core/watch/folders.ts). */
  get folderRules(): FolderRules {
    return { home: this.home, allowedRoots: this.allowedRoots };
  }

  /** Replaces the allowed roots (real paths are stored); an empty list allows none. */
  setAllowedRoots(actor: Actor, roots: readonly string[]): string[] {
    this.#authorize('settingsSet', actor);
    const real = checkAllowedRoots(roots, this.home);
    const at = new Date().toISOString();
    this.audit.act(() => {
      setSetting(this.store, ALLOWED_ROOTS, JSON.stringify(real));
      this.audit.append({ actor: actor.name, action: 'settings.changed', subject: ALLOWED_ROOTS, details: { value: real }, at });
    });
    return real;
  }

  /**
   * The real path of `p` when the desk may use it (core/paths/confine.ts): never its own data folder, a folder
   * holding it, or a system folder; under `within` when given (the allowed roots, web mode's uploads).
   */
  confine(p: string, use: PathUse, within: readonly string[] | null = null, withinName?: string): string {
    return confine(p, use, { home: this.home, within, ...(withinName ? { withinName } : {}) });
  }

  #confined(p: string, use: PathUse, to: Confinement | undefined): string {
    return this.confine(p, use, to?.roots ?? null, to?.name);
  }

  /** Where signed copies go when their input has no folder of its own to go beside (web mode's uploads). */
  get signedDir(): string {
    return join(this.home, SIGNED_DIR);
  }

  get hybridPq(): boolean {
    return pqEnabled(this.store);
  }

  /** Hybrid post-quantum mode: an ML-DSA-65 co-signature in every manifest from now on. */
  setHybridPq(actor: Actor, on: boolean): void {
    this.#authorize('settingsSet', actor);
    const now = new Date();
    const keyring = this.#requireKeyring();
    this.audit.act(() => {
      setPqEnabled(this.store, keyring, on, now);
      this.audit.append({ actor: actor.name, action: 'settings.changed', subject: 'pq.enabled', details: { value: on ? 'on' : 'off' }, at: now.toISOString() });
    });
  }

  /** The RFC 3161 TSA that time-stamps every claim signature (null: none), and how many TSA roots judge stamps. */
  get tsa(): { url: string | null; anchors: number } {
    const pem = tsaAnchorsPem(this.store);
    return { url: tsaUrl(this.store), anchors: pem ? parseChainPem(pem).length : 0 };
  }

  /** Sets or clears (null) the TSA URL, or the TSA roots (PEM), audited as a settings change. */
  setTsa(actor: Actor, change: { url?: string | null; anchorsPem?: string | null }): { url: string | null; anchors: number } {
    this.#authorize('settingsSet', actor);
    const at = new Date().toISOString();
    this.audit.act(() => {
      if (change.url !== undefined) {
        const url = setTsaUrl(this.store, change.url);
        this.audit.append({ actor: actor.name, action: 'settings.changed', subject: TSA_URL, details: { value: url }, at });
      }
      if (change.anchorsPem !== undefined) {
        const n = setTsaAnchors(this.store, change.anchorsPem);
        this.audit.append({ actor: actor.name, action: 'settings.changed', subject: TSA_ANCHORS, details: { certificates: n }, at });
      }
    });
    return this.tsa;
  }

  /** Obtains the time-stamps the TSA did not give at signing (those due, or `all`), each audited as it lands. */
  async stampPending(actor: Actor, opts: { all?: boolean } = {}): Promise<StampRun> {
    this.#authorize('timestampsStamp', actor);
    return stampPending(this.store, {
      ...(opts.all ? { all: true } : {}),
      onStamped: (s) => this.audit.append({ actor: actor.name, action: 'record.timestamped', subject: s.recordId, details: s, at: new Date().toISOString() }),
    });
  }

  /** Time-stamps the TSA has not given yet, the next due first. */
  pendingTimestamps(): RecordTimestamp[] {
    return pendingTimestamps(this.store);
  }

  /** The time-stamps this desk holds for a record, pending ones included. */
  timestamps(recordId: string): RecordTimestamp[] {
    return recordTimestamps(this.store, recordId);
  }

  /** The Content Credentials signing chain (signing certificate first) and the roots verification trusts, as PEM. */
  certificates(): { chainPem: string | null; anchorsPem: string } {
    return { chainPem: signingChainPem(this.store), anchorsPem: trustAnchorsPem(this.store) };
  }

  /**
   * A comment on a signed item, by a user, outside the workflow's events (a question to legal, an answer): kept in
   * the audit log, so the discussion around an item is as tamper-evident as its approvals.
   */
  comment(actor: Actor, itemId: string, text: string, now = new Date()): ItemComment {
    this.#authorize('comment', actor);
    const record = getRecord(this.store, itemId);
    if (!record || record.kind === 'segment') throw new CustodyError('NOT_FOUND', `expected the record id of a signed item, got ${JSON.stringify(itemId)}`);
    const t = text.trim();
    if (t === '') throw new CustodyError('INVALID_ARGUMENT', 'expected a comment, got an empty one');
    if (t.length > MAX_COMMENT) throw new CustodyError('INVALID_ARGUMENT', `expected a comment of at most ${MAX_COMMENT} characters, got ${t.length}`);
    const at = now.toISOString();
    const entry = this.audit.act(() => this.audit.append({ actor: actor.name, action: COMMENT_ACTION, subject: itemId, details: { text: t }, at }));
    return { seq: entry.seq, at, by: actor.name, text: t };
  }

  /** The comments on an item, oldest first. */
  comments(itemId: string): ItemComment[] {
    const out: ItemComment[] = [];
    for (const e of auditEntries(this.store, { subject: itemId })) {
      if (e.action === COMMENT_ACTION && typeof e.details.text === 'string') out.push({ seq: e.seq, at: e.at, by: e.actor, text: e.details.text });
    }
    return out;
  }

  items(limit = 1000): SignedRecord[] {
    return listRecords(this.store, { limit });
  }

  keys(): SigningKeyInfo[] {
    return listSigningKeys(this.store);
  }

  close(): void {
    this.#ahead?.drop();
    this.#ahead = null;
    this.store.close();
  }
}
