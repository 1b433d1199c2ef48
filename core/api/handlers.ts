// The host side of the DeskApi over a Desk: arguments are parsed by the method's schema before anything runs, and
// results are checked against theirs, whichever adapter (IPC, HTTP) called. A DeskHost holds what the process
// shares (the watch engine, the thumbnail cache); api(session) gives one caller's view, acting as its user.
import type { Desk } from '../desk.ts';
import { basename } from 'node:path';
import type { z } from 'zod';
import { CustodyError, isCustodyError } from '../errors.ts';
import { HandlerContext, memorySession, type Acting, type Handlers, type HostHooks, type ParsedArgs, type SessionSlot, type SharedState } from './context.ts';
import { deskApi, type DeskApi, type DeskArgs, type DeskMethod, type DeskResult } from './desk-api.ts';
import { adminHandlers } from './handle-admin.ts';
import { directoryHandlers } from './handle-directory.ts';
import { hubHandlers } from './handle-hub.ts';
import { auditHandlers } from './handle-audit.ts';
import { bulkHandlers } from './handle-bulk.ts';
import { viewHandlers } from './handle-views.ts';
import { itemFileOf, libraryHandlers, type ItemFile } from './handle-library.ts';
import { sessionHandlers } from './handle-session.ts';
import { workflowHandlers } from './handle-workflow.ts';
import { Thumbnails } from './thumbnails.ts';
import { WatchService } from './watch-service.ts';
import { zipEntryNames, zipSize, type ZipEntry } from './zip.ts';

/** What a selection gives as a ZIP: the entries of the items this caller may download, and the others with the reason. */
export interface ZipSelection {
  entries: ZipEntry[];
  included: string[];
  refused: { id: string; code: string; message: string }[];
}

function implementation(ctx: HandlerContext): Handlers<DeskMethod> {
  return { ...sessionHandlers(ctx), ...libraryHandlers(ctx), ...workflowHandlers(ctx), ...auditHandlers(ctx), ...adminHandlers(ctx), ...directoryHandlers(ctx), ...hubHandlers(ctx), ...bulkHandlers(ctx), ...viewHandlers(ctx) };
}

/** Validates unknown input against the method's argument schema; INVALID_ARGUMENT says what was wrong. */
export function parseArgs<M extends DeskMethod>(method: M, args: unknown): ParsedArgs<M> {
  return parseWith(deskApi[method].args, method, args) as ParsedArgs<M>;
}

/** Validates unknown input against a schema; INVALID_ARGUMENT names the call and the first three problems. */
export function parseWith<S extends z.ZodType>(schema: S, call: string, args: unknown): z.output<S> {
  const r = schema.safeParse(args ?? {});
  if (!r.success) {
    const said = r.error.issues.slice(0, 3).map((issue) => `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
    throw new CustodyError('INVALID_ARGUMENT', `${call}: ${said.join('; ') || 'invalid arguments'}`);
  }
  return r.data;
}

export function isDeskMethod(name: string): name is DeskMethod {
  return Object.hasOwn(deskApi, name);
}

export class DeskHost {
  readonly desk: Desk;
  readonly hooks: HostHooks;
  readonly watch: WatchService;
  readonly #shared: SharedState;

  constructor(desk: Desk, hooks: HostHooks = {}) {
    this.desk = desk;
    this.hooks = hooks;
    this.watch = new WatchService(desk, hooks.watch);
    this.#shared = { desk, hooks, watch: this.watch, thumbnails: new Thumbnails(desk.home), progress: new Map() };
  }

  /** The DeskApi for one caller, with every call validated on the way in and out. */
  api(session: SessionSlot): DeskApi {
    return this.#validated(new HandlerContext(this.#shared, session));
  }

  /**
   * The DeskApi for a caller the host authenticated itself (the CLI), or for no one (null): on a desk without
   * users, the vault-passphrase holder acts once the vault is unlocked.
   */
  apiAs(acting: Acting | null): DeskApi {
    return this.#validated(new HandlerContext(this.#shared, memorySession(), acting));
  }

  #validated(ctx: HandlerContext): DeskApi {
    const impl = implementation(ctx);
    const api = {} as Record<DeskMethod, (args: unknown) => Promise<unknown>>;
    for (const method of Object.keys(deskApi) as DeskMethod[]) {
      api[method] = async (args: unknown) => {
        // The method's rule in the authorization policy, before its arguments are even read (handlers that act
        // ask again, for the actor, and the desk's use cases check once more themselves).
        ctx.as(method);
        const parsed = parseArgs(method, args);
        const result = await (impl[method] as (a: unknown) => unknown)(parsed);
        return deskApi[method].result.parse(result);
      };
    }
    return api as unknown as DeskApi;
  }

  /**
   * An item's signed (or published) file, for a caller who may have it (web mode's downloads): where it is and the
   * hash it must still have, which the download checks opening it (checked-file.ts) before a byte goes out.
   */
  file(session: SessionSlot, id: string, published: boolean): ItemFile {
    return itemFileOf(new HandlerContext(this.#shared, session), id, published, 'fileDownload');
  }

  /**
   * The selection as ZIP entries (web mode's download, the desktop app's save dialog): every item is asked of the
   * same rule as a single download (fileDownload) on its own; those refused are named with the desk's reason, the
   * others' files become entries with plain, unique names. FILE_TOO_LARGE when they would not fit in one ZIP.
   */
  zipSelection(session: SessionSlot, ids: readonly string[], published: boolean): ZipSelection {
    const included: string[] = [];
    const refused: ZipSelection['refused'] = [];
    const files: ItemFile[] = [];
    for (const id of new Set(ids)) {
      try {
        files.push(this.file(session, id, published));
        included.push(id);
      } catch (e) {
        if (!isCustodyError(e)) throw e;
        refused.push({ id, code: e.code, message: e.message });
      }
    }
    const names = zipEntryNames(files.map((f) => basename(f.path)));
    const entries = files.map((f, i) => ({ ...f, name: names[i]! }));
    if (entries.length > 0) zipSize(entries);
    return { entries, included, refused };
  }

  /**
   * Runs the hub sync worker in this process while the desk is connected and its vault open (the API key is in it);
   * the desktop app calls it at start-up and after an unlock. Reports go to onReport (a log line, the tray).
   */
  startSync(onReport?: Parameters<Desk['hub']['start']>[0]): void {
    if (this.desk.unlocked && this.desk.hub.link) this.desk.hub.start(onReport);
  }

  async close(): Promise<void> {
    await this.desk.hub.running?.stop();
    await this.watch.close();
  }
}

/** The DeskApi of a host with a single caller (the desktop app, tests). */
export function createDeskHandlers(desk: Desk, hooks: HostHooks = {}, session: SessionSlot = memorySession()): DeskApi {
  return new DeskHost(desk, hooks).api(session);
}

export type { DeskArgs, DeskResult, HostHooks, SessionSlot };

/** The DeskApi where no desk exists yet: every call says so, and how to create one. */
export function createUnavailableHandlers(home: string): DeskApi {
  const api = {} as Record<DeskMethod, () => Promise<never>>;
  for (const method of Object.keys(deskApi) as DeskMethod[]) {
    api[method] = () =>
      Promise.reject(new CustodyError('NOT_INITIALIZED', `expected a desk at ${home}, but there is none: run \`custody init --org NAME --admin NAME\` in a terminal, then restart Custody`));
  }
  return api as unknown as DeskApi;
}
