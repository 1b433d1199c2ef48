// What every handler of the DeskApi works with: the desk, the host's hooks, and who is calling. The host keeps one
// login session per caller (the Electron app: one; web mode: one per browser, in a cookie) as a SessionSlot; the
// user is looked up on every call, so a disabled user or an expired session stops working at once.
import type { z } from 'zod';
import type { Confinement, Desk } from '../desk.ts';
import { authorize, authorizeActor, type UseCase } from '../authz/policy.ts';
import type { Actor } from '../directory/roles.ts';
import type { ProgressListener, WorkProgress } from '../media/progress.ts';
import { isCustodyError } from '../errors.ts';
import type { deskApi, DeskMethod, DeskResult } from './desk-api.ts';
import type { Thumbnails } from './thumbnails.ts';
import type { WatchHooks, WatchService } from './watch-service.ts';

/** Where the host keeps the caller's directory session token (core/directory): read and replaced per call. */
export interface SessionSlot {
  get(): string | null;
  set(token: string | null): void;
}

export function memorySession(): SessionSlot {
  let token: string | null = null;
  return { get: () => token, set: (t) => void (token = t) };
}

export interface HostHooks {
  /** Who serves the API (the renderer shows native pickers only in the desktop app). */
  kind?: 'electron' | 'web' | 'test';
  /** Runs after a passphrase opened the vault (Electron adds the OS keychain as a second protector here). */
  afterUnlock?: (desk: Desk) => Promise<void>;
  /** Native dialogs (Electron). */
  dialogs?: {
    pickFiles(o: { purpose: 'sign' | 'verify' | 'pem'; multiple: boolean }): Promise<string[]>;
    /** defaultPath: where the dialog opens (the first allowed root). */
    pickFolder(o: { purpose: 'watch' | 'output'; defaultPath?: string }): Promise<string | null>;
  };
  /** Shows a file in the OS file manager (Electron). */
  reveal?: (path: string) => void;
  /**
   * Web mode: the only folders a caller's sign and verify paths may lie under (its own uploads and the allowed
   * roots); signed copies then go into the desk's signed/ folder unless the caller names one. Absent: any path
   * the desk may read (core/paths/confine.ts).
   */
  confineFiles?: (session: SessionSlot) => Confinement;
  watch?: WatchHooks;
}

export type ParsedArgs<M extends DeskMethod> = z.output<(typeof deskApi)[M]['args']>;
export type Handlers<K extends DeskMethod> = { [M in K]: (args: ParsedArgs<M>) => Promise<DeskResult<M>> | DeskResult<M> };

export interface Acting {
  actor: Actor;
  expiresAt: string | null;
}

/** Long work in flight, by the progress key its caller chose: the file and how far it has got. */
export type ProgressBoard = Map<string, { file: string } & WorkProgress>;

export interface SharedState {
  desk: Desk;
  hooks: HostHooks;
  watch: WatchService;
  thumbnails: Thumbnails;
  progress: ProgressBoard;
}

export class HandlerContext {
  readonly desk: Desk;
  readonly hooks: HostHooks;
  readonly session: SessionSlot;
  readonly watch: WatchService;
  readonly thumbnails: Thumbnails;
  readonly progress: ProgressBoard;

  /** Who acts when the host authenticated the caller itself (the CLI: CUSTODY_USER or its session file). */
  readonly #fixed: Acting | null | undefined;

  constructor(shared: SharedState, session: SessionSlot, fixed?: Acting | null) {
    this.#fixed = fixed;
    this.desk = shared.desk;
    this.hooks = shared.hooks;
    this.watch = shared.watch;
    this.thumbnails = shared.thumbnails;
    this.progress = shared.progress;
    this.session = session;
  }

  /** Runs long work reporting under the key (when the caller gave one), and clears the key when it ends. */
  async tracked<T>(key: string | undefined, file: string, work: (onProgress?: ProgressListener) => Promise<T>): Promise<T> {
    if (!key) return work();
    this.progress.set(key, { file, phase: 'starting', percent: 0, doneSec: 0, totalSec: 0 });
    try {
      return await work((p) => this.progress.set(key, { file, ...p }));
    } finally {
      this.progress.delete(key);
    }
  }

  /** The logged-in user; on a desk without users, the desk itself while its keys are unlocked; else null. */
  current(): Acting | null {
    if (this.#fixed) return this.#fixed;
    const token = this.session.get();
    if (token) {
      try {
        const s = this.desk.directory.session(token);
        return { actor: s.actor, expiresAt: s.expiresAt };
      } catch (e) {
        if (!isCustodyError(e, 'NOT_AUTHENTICATED')) throw e;
        this.session.set(null);
      }
    }
    const desk = this.desk.bootstrapActor();
    return desk ? { actor: desk, expiresAt: null } : null;
  }

  /**
   * The caller, checked against the use case's rule in the authorization policy (core/authz/policy.ts): null only
   * where the rule lets anyone (or, on a desk without users, anyone) do it.
   */
  as(useCase: UseCase): Actor | null {
    return authorize(useCase, this.current()?.actor ?? null, this.desk.directory.hasUsers());
  }

  /** The caller, who must be someone, checked against the use case's rule. */
  actor(useCase: UseCase): Actor {
    return authorizeActor(useCase, this.current()?.actor ?? null, this.desk.directory.hasUsers());
  }
}
