// The composition root: a Desk built from a data directory. The CLI, the Electron main process and web mode all
// go through it.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Keyring, listSigningKeys, type SigningKeyInfo } from './crypto/keyring.ts';
import type { KeyProtector } from './crypto/vault.ts';
import { CustodyError, missingCase } from './errors.ts';
import { DEFAULT_LIMITS, FORMAT_EXTENSIONS, detectFile, isImageFormat, type Limits } from './media/detect.ts';
import type { VerifyReport } from './provenance/checks.ts';
import { defaultTarget } from './provenance/output.ts';
import { signImage, type SignReceipt } from './provenance/sign-image.ts';
import { verifyImage } from './provenance/verify-image.ts';
import { openStore, type Store } from './store/db.ts';
import { listRecords, type SignedRecord } from './store/records.ts';
import { getSetting, setSetting } from './store/settings.ts';
import { listWrappedKinds } from './store/vault-rows.ts';

export const DB_FILE = 'desk.db';

/** CUSTODY_HOME, else the OS per-user app-data folder `Custody` (what Electron's userData resolves to). */
export function resolveHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CUSTODY_HOME) return env.CUSTODY_HOME;
  switch (platform) {
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Custody');
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'Custody');
    default:
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Custody');
  }
}

export interface DeskInfo {
  home: string;
  org: string;
  createdAt: string;
  limits: Limits;
}

export class Desk {
  readonly home: string;
  readonly store: Store;
  #keyring: Keyring | null = null;

  private constructor(home: string, store: Store) {
    this.home = home;
    this.store = store;
  }

  static isInitialized(home: string): boolean {
    return existsSync(join(home, DB_FILE));
  }

  /** Creates a desk: database, key vault, the first org signing key. */
  static async init(home: string, opts: { org: string; protector: KeyProtector; now?: Date }): Promise<{ desk: Desk; key: SigningKeyInfo }> {
    if (opts.org.trim() === '') throw new CustodyError('INVALID_ARGUMENT', 'expected an organisation name, got an empty one');
    if (Desk.isInitialized(home)) {
      throw new CustodyError('ALREADY_INITIALIZED', `expected no desk at ${home}, but one exists already (set CUSTODY_HOME to create another)`);
    }
    const now = (opts.now ?? new Date()).toISOString();
    const store = openStore(join(home, DB_FILE));
    const desk = new Desk(home, store);
    try {
      desk.#keyring = await Keyring.create(store, opts.protector, now);
      const key = desk.#keyring.createSigningKey(now);
      store.transaction(() => {
        setSetting(store, 'org', opts.org.trim());
        setSetting(store, 'created_at', now);
      });
      return { desk, key };
    } catch (e) {
      store.close();
      throw e;
    }
  }

  static open(home: string): Desk {
    if (!Desk.isInitialized(home)) {
      throw new CustodyError('NOT_INITIALIZED', `expected a desk at ${home}, but there is none: run \`custody init --org NAME\` first`);
    }
    return new Desk(home, openStore(join(home, DB_FILE)));
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
    return {
      maxImageBytes: Number.isFinite(bytes) && bytes > 0 ? bytes : DEFAULT_LIMITS.maxImageBytes,
      maxPixels: Number.isFinite(pixels) && pixels > 0 ? pixels : DEFAULT_LIMITS.maxPixels,
    };
  }

  get unlocked(): boolean {
    return this.#keyring !== null;
  }

  async unlock(protector: KeyProtector): Promise<void> {
    this.#keyring = await Keyring.unlock(this.store, protector);
  }

  /** Lets another protector open the vault from now on (the vault must be unlocked). */
  async addProtector(protector: KeyProtector): Promise<void> {
    await this.#requireKeyring().addProtector(protector, new Date().toISOString());
  }

  /** Whether the vault has a data key wrapped for this kind of protector. */
  hasProtector(kind: string): boolean {
    return listWrappedKinds(this.store).includes(kind);
  }

  #requireKeyring(): Keyring {
    if (!this.#keyring) throw new CustodyError('KEY_LOCKED', 'expected an unlocked key vault to sign, but it is locked');
    return this.#keyring;
  }

  async sign(path: string, opts: { outDir?: string; now?: Date } = {}): Promise<SignReceipt> {
    const limits = this.limits;
    const { format } = await detectFile(path, limits);
    const signer = this.#requireKeyring().signer();
    if (!isImageFormat(format)) {
      throw new CustodyError('UNSUPPORTED_FORMAT', `expected a still image (JPEG, PNG, WebP, TIFF, AVIF), got ${format.toUpperCase()} video, which this version does not sign yet`);
    }
    const target = defaultTarget(path, FORMAT_EXTENSIONS[format], opts.outDir);
    return signImage({ db: this.store, signer, limits, org: this.info.org }, path, format, target, opts.now);
  }

  async verify(path: string): Promise<VerifyReport> {
    const limits = this.limits;
    const { format } = await detectFile(path, limits);
    if (isImageFormat(format)) return verifyImage({ db: this.store, limits }, path, format);
    switch (format) {
      case 'mp4':
      case 'mov':
      case 'webm':
        throw new CustodyError('UNSUPPORTED_FORMAT', `expected a still image, got ${format.toUpperCase()} video, which this version does not verify yet`);
      default:
        return missingCase(format);
    }
  }

  items(limit = 1000): SignedRecord[] {
    return listRecords(this.store, { limit });
  }

  keys(): SigningKeyInfo[] {
    return listSigningKeys(this.store);
  }

  close(): void {
    this.store.close();
  }
}
