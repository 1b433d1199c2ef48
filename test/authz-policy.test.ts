// The authorization policy (core/authz/policy.ts) against this file's own table of who may do what: every use case
// × every role (and no one logged in), first as the policy answers, then through the real DeskApi of a desk with
// users, where a refused call must be refused before it touches anything and an allowed one must get past the
// check. A DeskApi method without a row here or without a rule in the policy fails the first test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deskApi, type DeskApi, type DeskMethod } from '../core/api/desk-api.ts';
import { DeskHost } from '../core/api/handlers.ts';
import { memorySession } from '../core/api/context.ts';
import { CLI_USE_CASES, CORE_USE_CASES, POLICY, allows, authorize, checkSignedCopy, type UseCase } from '../core/authz/policy.ts';
import { auditEntries } from '../core/audit/log.ts';
import type { Desk } from '../core/desk.ts';
import { ROLES, type Actor, type Role } from '../core/directory/roles.ts';
import { testDesk } from './helpers/workflow-desk.ts';

type Who = Role | 'anonymous';
const WHO: readonly Who[] = [...ROLES, 'anonymous'];

const EVERYONE = 'admin editor chief legal viewer anonymous';
const USERS = 'admin editor chief legal viewer';
const ACTING = 'admin editor chief legal';
const FOLDERS = 'admin editor';
const ADMIN = 'admin';

/** Who may, per use case, on a desk with users: written out here, not read from the policy. */
const EXPECTED: Record<UseCase, string> = {
  info: EVERYONE, unlock: EVERYONE, login: EVERYONE, logout: EVERYONE, whoami: EVERYONE,
  pickFiles: EVERYONE, pickFolder: EVERYONE, verify: EVERYONE, progress: EVERYONE, publicRecord: EVERYONE,
  sign: ACTING, fileMetadata: ACTING, items: USERS, item: USERS, thumbnail: USERS, reveal: USERS,
  queue: USERS, submit: ACTING, approve: ACTING, reject: ACTING, requestChanges: ACTING, resubmit: ACTING,
  withdraw: ACTING, publish: ACTING, comment: ACTING,
  auditList: USERS, auditVerify: USERS, auditExport: USERS,
  watchFolders: USERS, watchJobs: USERS, watchAdd: FOLDERS, watchRemove: FOLDERS, watchStart: FOLDERS, watchStop: FOLDERS, watchRun: FOLDERS, folderList: FOLDERS,
  users: USERS, userAdd: ADMIN, userSetRoles: ADMIN, userDisable: ADMIN,
  directory: ADMIN, directorySet: ADMIN, directoryTest: ADMIN, directoryRemove: ADMIN,
  keys: USERS, certificates: USERS, certificateImport: ADMIN, trustAdd: ADMIN, settings: USERS, settingsSet: ADMIN,
  timestampsStamp: ACTING, templates: USERS, templateSave: ADMIN,
  hubConnect: ADMIN, hubRetryParked: ADMIN, hubCheckChain: ADMIN, fileDownload: USERS, hubStatus: USERS,
  picture: USERS, viewPrefs: USERS, viewPrefsSet: USERS, bulk: ACTING,
};

const mayAct = (u: UseCase, who: Who): boolean => EXPECTED[u].split(' ').includes(who);
const actorOf = (who: Who): Actor | null => (who === 'anonymous' ? null : { name: `the-${who}`, roles: [who] });

describe('the authorization policy', () => {
  it('has a rule for every DeskApi method, every CLI use case and every core-only one, and no rule for anything else', () => {
    const useCases = [...Object.keys(deskApi), ...CLI_USE_CASES, ...CORE_USE_CASES].sort();
    expect(Object.keys(POLICY).sort()).toEqual(useCases);
    expect(Object.keys(EXPECTED).sort()).toEqual(useCases);
  });

  it('is the table docs/authorization.md shows', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'authorization.md'), 'utf8');
    const rows = Object.fromEntries(
      [...doc.matchAll(/^\| `(\w+)` \| ([a-z, ]+) \| ([`\w, ]*) \|$/gm)].map((m) => [m[1], { who: m[2]!.trim(), object: m[3]!.replaceAll('`', '').trim() }]),
    );
    const fromPolicy = Object.fromEntries(
      Object.entries(POLICY).map(([u, r]) => [u, { who: typeof r.who === 'string' ? r.who : r.who.join(', '), object: ('object' in r ? r.object : []).join(', ') }]),
    );
    expect(rows).toEqual(fromPolicy);
  });

  it('refuses a use case it has no rule for', () => {
    expect(() => authorize('exportEverything' as UseCase, { name: 'ada', roles: ['admin'] }, true)).toThrow(expect.objectContaining({ code: 'NOT_PERMITTED' }));
  });

  it.each(Object.keys(EXPECTED) as UseCase[])('%s: allows exactly the roles of the table', (u) => {
    for (const who of WHO) expect(allows(u, actorOf(who), true), `${u} by ${who}`).toBe(mayAct(u, who));
  });

  it('hands a published file to every user, and the signed copy of unpublished work only to those who may sign', () => {
    for (const useCase of ['fileDownload', 'reveal', 'picture'] as const) {
      for (const who of WHO) {
        const code = (published: boolean): string | null => {
          try {
            checkSignedCopy(useCase, actorOf(who), true, published);
            return null;
          } catch (e) {
            return (e as { code: string }).code;
          }
        };
        expect(code(true), `${useCase} of a published file by ${who}`).toBe(who === 'anonymous' ? 'NOT_AUTHENTICATED' : null);
        const signer = mayAct('sign', who);
        expect(code(false), `${useCase} of a signed copy by ${who}`).toBe(signer ? null : who === 'anonymous' ? 'NOT_AUTHENTICATED' : 'NOT_PERMITTED');
      }
    }
    // A desk without users: the passphrase holder has every file; with the vault locked, only published ones.
    expect(() => checkSignedCopy('fileDownload', null, false, true)).not.toThrow();
    expect(() => checkSignedCopy('fileDownload', null, false, false)).toThrow(expect.objectContaining({ code: 'KEY_LOCKED' }));
  });

  it('on a desk without users, lets anyone read and needs the vault-passphrase holder to act', () => {
    for (const u of Object.keys(EXPECTED) as UseCase[]) {
      const reads = EXPECTED[u] === EVERYONE || EXPECTED[u] === USERS;
      expect(allows(u, null, false), u).toBe(reads);
      if (!reads) expect(() => authorize(u, null, false)).toThrow(expect.objectContaining({ code: 'KEY_LOCKED' }));
    }
  });
});

/**
 * Arguments each method's schema accepts, chosen so that an allowed call stops harmlessly after the check (an
 * unknown item or folder, a bad PEM, a name that exists) instead of changing the desk.
 */
const ITEM = 'rec_00000000000000000000000000';
const FOLDER = 'wf_0000000000000000';
const ARGS: Record<DeskMethod, unknown> = {
  info: {}, unlock: { passphrase: 'not the passphrase' }, login: { name: 'nobody', password: 'whatever1' }, logout: {}, whoami: {},
  pickFiles: { purpose: 'sign' }, pickFolder: { purpose: 'watch' }, verify: { path: '/nonexistent/a.jpg' }, progress: { key: 'progress-key' }, publicRecord: { id: ITEM },
  sign: { paths: ['/nonexistent/a.jpg'] }, fileMetadata: { path: '/nonexistent/a.jpg' }, items: {}, item: { id: ITEM }, thumbnail: { id: ITEM }, reveal: { id: ITEM, published: true },
  queue: {}, submit: { id: ITEM }, approve: { id: ITEM }, reject: { id: ITEM, comment: 'no' }, requestChanges: { id: ITEM, comment: 'crop' },
  resubmit: { id: ITEM }, withdraw: { id: ITEM }, publish: { id: ITEM }, comment: { id: ITEM, text: 'hello' },
  auditList: { limit: 1 }, auditVerify: {}, auditExport: { format: 'jsonl' },
  watchFolders: {}, watchAdd: { path: '/nonexistent/in', outDir: '/nonexistent/out', start: false }, watchRemove: { id: FOLDER },
  watchStart: { id: FOLDER }, watchStop: { id: FOLDER }, folderList: { path: '/nonexistent/in' },
  users: {}, userAdd: { name: 'ada', roles: ['viewer'], password: 'password-1' }, userSetRoles: { name: 'nobody', roles: ['viewer'] },
  userDisable: { name: 'nobody' },
  // Refused before the arguments are read; an admin gets past the check to INVALID_ARGUMENT or an empty answer.
  directory: {}, directorySet: {}, directoryTest: {}, directoryRemove: {},
  keys: {}, certificates: {}, certificateImport: { chainPem: 'not a certificate', keyPem: 'not a key' }, trustAdd: { pem: 'not a certificate' },
  settings: {}, settingsSet: { hybridPq: false },
  hubStatus: {}, hubConnect: { url: 'http://127.0.0.1:9/', token: 'enrolment-token-probe' }, picture: { id: ITEM, which: 'published' }, viewPrefs: {}, viewPrefsSet: { sort: 'name', views: [] },
  bulk: { action: 'approve', ids: [ITEM] },
  timestampsStamp: {}, templates: {}, templateSave: { template: { name: 'authz-probe', submitRoles: ['editor'], publishRoles: ['chief'], stages: [{ id: 'desk', roles: ['chief'], quorum: 1 }] } },
};

describe('the DeskApi enforces the table', () => {
  let desk: Desk;
  let host: DeskHost;
  const who: Partial<Record<Who, string>> = {};

  beforeAll(async () => {
    const t = await testDesk();
    desk = t.desk;
    for (const r of ROLES.filter((r) => r !== 'admin')) await desk.directory.addUser(t.admin, { name: `the-${r}`, roles: [r], password: `${r}-tidal-lantern-42` });
    for (const r of ROLES) who[r] = r === 'admin' ? 'ada' : `the-${r}`;
    host = new DeskHost(desk, { kind: 'test', dialogs: { pickFiles: async () => [], pickFolder: async () => null }, reveal: () => undefined });
  });
  afterAll(async () => {
    await host.close();
    desk.close();
  });

  /** A fresh session per call: logout (and anything else a call does) must not leak into the next one. */
  async function apiFor(w: Who): Promise<DeskApi> {
    const api = host.api(memorySession());
    if (w !== 'anonymous') await api.login({ name: who[w]!, password: w === 'admin' ? 'ada-tidal-lantern-42' : `${w}-tidal-lantern-42` });
    return api;
  }

  it.each(Object.keys(ARGS) as DeskMethod[])('%s', async (method) => {
    for (const w of WHO) {
      const api = await apiFor(w);
      const before = [...auditEntries(desk.store)].filter((e) => !e.action.startsWith('auth.')).length;
      let code: string | null = null;
      try {
        await (api[method] as (a: unknown) => Promise<unknown>)(ARGS[method]);
      } catch (e) {
        code = (e as { code?: string }).code ?? 'INTERNAL';
      }
      // Logging in with an unknown name is refused whoever asks: that is the login, not the policy (and after five
      // failures for one name, the guessing limit).
      if (method === 'login') {
        expect(['NOT_AUTHENTICATED', 'RATE_LIMITED'], `login by ${w}`).toContain(code);
        continue;
      }
      if (mayAct(method, w)) {
        expect(['NOT_PERMITTED', 'NOT_AUTHENTICATED', 'INTERNAL'], `${method} by ${w} should pass the check, got ${code}`).not.toContain(code);
      } else {
        expect(code, `${method} by ${w}`).toBe(w === 'anonymous' ? 'NOT_AUTHENTICATED' : 'NOT_PERMITTED');
        // Refused before it touched anything: not even an audit entry besides the login.
        expect([...auditEntries(desk.store)].filter((e) => !e.action.startsWith('auth.')).length, `${method} by ${w} wrote to the audit log`).toBe(before);
      }
    }
  });
});
