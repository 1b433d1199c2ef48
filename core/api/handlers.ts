// The host side of the DeskApi over a Desk: arguments are parsed by the method's schema before anything runs, and
// results are checked against theirs, whichever adapter (IPC, HTTP) called.
import { readFileSync } from 'node:fs';
import { PassphraseProtector } from '../crypto/vault.ts';
import type { Desk } from '../desk.ts';
import { CustodyError, isCustodyError } from '../errors.ts';
import { getRecord } from '../store/records.ts';
import { deskApi, type DeskApi, type DeskArgs, type DeskMethod, type DeskResult } from './desk-api.ts';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

type Impl = { [M in DeskMethod]: (args: ParsedArgs<M>) => Promise<DeskResult<M>> | DeskResult<M> };
type ParsedArgs<M extends DeskMethod> = ReturnType<(typeof deskApi)[M]['args']['parse']>;

export interface HostHooks {
  /** Runs after a passphrase opened the vault (Electron adds the OS keychain as a second protector here). */
  afterUnlock?: (desk: Desk) => Promise<void>;
}

function implementation(desk: Desk, hooks: HostHooks): Impl {
  return {
    unlock: async ({ passphrase }) => {
      await desk.unlock(new PassphraseProtector(passphrase));
      await hooks.afterUnlock?.(desk);
      return { unlocked: true };
    },
    info: () => ({ home: desk.home, org: desk.info.org, unlocked: desk.unlocked, version }),
    sign: async ({ paths, outDir }) => {
      const receipts = [];
      const failures = [];
      for (const p of paths) {
        try {
          receipts.push(await desk.sign(p, outDir ? { outDir } : {}));
        } catch (e) {
          if (!isCustodyError(e)) throw e;
          failures.push({ path: p, code: e.code, message: e.message });
        }
      }
      return { receipts, failures };
    },
    verify: ({ path }) => desk.verify(path),
    items: ({ limit, search }) => {
      const all = desk.items(limit ?? 1000);
      const q = search?.trim().toLowerCase();
      return q ? all.filter((r) => r.inputName.toLowerCase().includes(q) || r.id.includes(q)) : all;
    },
    item: ({ id }) => {
      const r = getRecord(desk.store, id);
      if (!r) throw new CustodyError('NOT_FOUND', `expected a record with id ${id}, but this desk has none`);
      return r;
    },
    keys: () => desk.keys(),
  };
}

/** Validates unknown input against the method's argument schema; INVALID_ARGUMENT says what was wrong. */
export function parseArgs<M extends DeskMethod>(method: M, args: unknown): ParsedArgs<M> {
  const r = deskApi[method].args.safeParse(args ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new CustodyError('INVALID_ARGUMENT', `${method}: ${where}${issue?.message ?? 'invalid arguments'}`);
  }
  return r.data as ParsedArgs<M>;
}

export function isDeskMethod(name: string): name is DeskMethod {
  return Object.hasOwn(deskApi, name);
}

/** The DeskApi served by a desk, with every call validated on the way in and out. */
export function createDeskHandlers(desk: Desk, hooks: HostHooks = {}): DeskApi {
  const impl = implementation(desk, hooks);
  const api = {} as Record<DeskMethod, (args: unknown) => Promise<unknown>>;
  for (const method of Object.keys(deskApi) as DeskMethod[]) {
    api[method] = async (args: unknown) => {
      const parsed = parseArgs(method, args);
      const result = await (impl[method] as (a: unknown) => unknown)(parsed);
      return deskApi[method].result.parse(result);
    };
  }
  return api as unknown as DeskApi;
}

export type { DeskArgs, DeskResult };
