// Watched folders as the desk process hosting the DeskApi runs them: one WatchEngine (core/watch) for the process,
// the newest outcomes per folder for the screen's live status, and hooks for the desktop's tray and notifications.
import { authorizeActor } from '../authz/policy.ts';
import type { Desk } from '../desk.ts';
import type { Actor } from '../directory/roles.ts';
import { WatchEngine, type WatchEngineOptions, type WatchOutcome } from '../watch/engine.ts';
import { addWatchFolder, checkFolderOwner, listWatchFolders, removeWatchFolder, requireWatchFolder, type WatchFolder, type WatchFolderInput } from '../watch/folders.ts';
import { jobCounts } from '../watch/jobs.ts';
import type { DeskResult } from './desk-api.ts';

export interface WatchHooks {
  /** Every file a watched folder finished with (the desktop app notifies). */
  onOutcome?: (o: WatchOutcome) => void;
  /** The folders this process watches, after every start and stop (the desktop app shows a tray icon). */
  onRunning?: (folders: WatchFolder[]) => void;
  engine?: WatchEngineOptions;
}

type FolderView = DeskResult<'watchFolders'>[number];
type Recent = FolderView['recent'][number];
type Problem = NonNullable<FolderView['problem']>;

const RECENT = 20;

export class WatchService {
  readonly #desk: Desk;
  readonly #hooks: WatchHooks;
  #engine: WatchEngine | null = null;
  readonly #recent = new Map<string, Recent[]>();
  readonly #problems = new Map<string, Problem>();

  constructor(desk: Desk, hooks: WatchHooks = {}) {
    this.#desk = desk;
    this.#hooks = hooks;
  }

  #engineNow(): WatchEngine {
    if (this.#engine) return this.#engine;
    const engine = new WatchEngine(this.#desk, this.#hooks.engine ?? {});
    engine.on('file', (o) => {
      const list = this.#recent.get(o.folderId) ?? [];
      list.unshift({ status: o.status, path: o.path, recordId: o.recordId, output: o.output, error: o.error, at: new Date().toISOString() });
      this.#recent.set(o.folderId, list.slice(0, RECENT));
      this.#problems.delete(o.folderId);
      this.#hooks.onOutcome?.(o);
    });
    engine.on('problem', (p) => this.#problems.set(p.folderId, { code: p.code, message: p.message, at: new Date().toISOString() }));
    engine.on('retry', (r) => this.#problems.set(r.folderId, { code: r.code, message: `${r.path}: ${r.message} (retrying)`, at: new Date().toISOString() }));
    this.#engine = engine;
    return engine;
  }

  #running(): Set<string> {
    return new Set(this.#engine?.folders.map((f) => f.id) ?? []);
  }

  #view(f: WatchFolder, running: Set<string>, now = new Date()): FolderView {
    const held = f.lease !== null && f.lease.expiresAt > now.toISOString();
    return {
      id: f.id,
      path: f.path,
      outDir: f.outDir,
      concurrency: f.concurrency,
      stableMs: f.stableMs,
      workflowTemplate: f.workflowTemplate,
      classification: f.classification,
      flags: f.flags,
      digitalSourceType: f.digitalSourceType,
      createdAt: f.createdAt,
      createdBy: f.createdBy,
      status: running.has(f.id) ? 'running' : held ? 'elsewhere' : 'stopped',
      heldBy: held && !running.has(f.id) && f.lease ? f.lease.owner.split('|').slice(0, 2).join(' pid ') : null,
      jobs: jobCounts(this.#desk.store, f.id),
      recent: this.#recent.get(f.id) ?? [],
      problem: this.#problems.get(f.id) ?? null,
    };
  }

  list(): FolderView[] {
    const running = this.#running();
    return listWatchFolders(this.#desk.store).map((f) => this.#view(f, running));
  }

  get(id: string): FolderView {
    return this.#view(requireWatchFolder(this.#desk.store, id), this.#running());
  }

  /** Stores a folder (with its audit entry) and, unless told not to, starts watching it. */
  async add(by: Actor, input: WatchFolderInput, start = true): Promise<FolderView> {
    const at = new Date();
    const folder = addWatchFolder(this.#desk, by, input, this.#desk.folderRules, at);
    if (start) await this.start(folder.id);
    return this.get(folder.id);
  }

  /** Stops watching (files in flight finish first) and forgets the folder; its files and history stay. */
  async remove(by: Actor, id: string): Promise<WatchFolder> {
    // Checked before stopping: someone who may not remove the folder may not stop it this way either.
    authorizeActor('watchRemove', by);
    checkFolderOwner(by, requireWatchFolder(this.#desk.store, id), 'remove');
    await this.stop(id);
    const at = new Date();
    return removeWatchFolder(this.#desk, by, id, at);
  }

  async start(id: string): Promise<FolderView> {
    const f = requireWatchFolder(this.#desk.store, id);
    this.#problems.delete(f.id);
    await this.#engineNow().start([f.id]);
    this.#hooks.onRunning?.(this.#engine?.folders ?? []);
    return this.get(f.id);
  }

  async stop(id: string): Promise<FolderView> {
    const f = requireWatchFolder(this.#desk.store, id);
    await this.#engine?.stopFolder(f.id);
    this.#hooks.onRunning?.(this.#engine?.folders ?? []);
    return this.get(f.id);
  }

  /** Starts every stored folder (the desktop app at start-up); one that cannot start is reported, not fatal. */
  async startAll(): Promise<void> {
    for (const f of listWatchFolders(this.#desk.store)) {
      try {
        await this.start(f.id);
      } catch (e) {
        const err = e as { code?: string; message?: string };
        this.#problems.set(f.id, { code: err.code ?? 'INTERNAL', message: err.message ?? String(e), at: new Date().toISOString() });
      }
    }
  }

  whenIdle(): Promise<void> {
    return this.#engine?.whenIdle() ?? Promise.resolve();
  }

  async close(): Promise<void> {
    await this.#engine?.stop();
    this.#hooks.onRunning?.([]);
  }
}
