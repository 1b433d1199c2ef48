// The watch-folder form's folder browser where there is no native dialog (core/paths/browse.ts, DeskApi
// folderList): only sub-folders under the allowed roots, by real path; every way out (.., an absolute path, a
// symlink to outside, the desk's own folder under a root) refused or left out; only for roles that may add
// watched folders; in web mode, for a login only and limited per minute.
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../cli/web.ts';
import { memorySession } from '../core/api/context.ts';
import { DeskHost } from '../core/api/handlers.ts';
import type { Desk } from '../core/desk.ts';
import { folderExamples, listFolders, type BrowseRules } from '../core/paths/browse.ts';
import { tempDir } from './helpers/cli.ts';
import { webClient } from './helpers/web-client.ts';
import { addUsers, testDesk } from './helpers/workflow-desk.ts';

const codeOf = (f: () => unknown): string | null => {
  try {
    f();
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? 'thrown';
  }
};
const messageOf = (f: () => unknown): string => {
  try {
    f();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('listFolders', () => {
  let root: string;
  let outside: string;
  let rules: BrowseRules;

  beforeAll(() => {
    root = realpathSync(tempDir('custody-roots-'));
    outside = realpathSync(tempDir('custody-outside-'));
    const home = join(root, 'desk-home');
    for (const d of ['Card 10', 'Card 2', 'archive/2026/12', '.hidden', '$RECYCLE.BIN', 'desk-home']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'photo.jpg'), 'not listed: a file');
    mkdirSync(join(outside, 'secret-folder'));
    symlinkSync(outside, join(root, 'link-out'));
    symlinkSync(join(root, 'archive', '2026'), join(root, 'link-in'));
    symlinkSync(join(root, 'photo.jpg'), join(root, 'link-file'));
    symlinkSync(join(root, 'gone'), join(root, 'link-dangling'));
    rules = { home, allowedRoots: [root], userHome: outside };
  });

  it('lists the allowed roots when asked for no folder, with examples under the first root', () => {
    const l = listFolders(null, rules);
    expect(l).toMatchObject({ path: null, parent: null, roots: [root], folders: [{ name: root, path: root }], truncated: 0 });
    expect(l.examples).toEqual({ watch: join(root, 'Incoming'), output: join(root, 'Signed') });
  });

  it('lists only the sub-folders of a root: no files, no hidden or system folders, not the desk, no link leading out', () => {
    const l = listFolders(root, rules);
    expect(l.path).toBe(root);
    expect(l.parent).toBeNull();
    // Numeric order (Card 2 before Card 10); the in-root link is listed by its real path.
    expect(l.folders).toEqual([
      { name: 'archive', path: join(root, 'archive') },
      { name: 'Card 2', path: join(root, 'Card 2') },
      { name: 'Card 10', path: join(root, 'Card 10') },
      { name: 'link-in', path: join(root, 'archive', '2026') },
    ]);
  });

  it('goes down and back up inside a root', () => {
    const l = listFolders(join(root, 'archive', '2026'), rules);
    expect(l.folders).toEqual([{ name: '12', path: join(root, 'archive', '2026', '12') }]);
    expect(l.parent).toBe(join(root, 'archive'));
    expect(listFolders(l.parent!, rules).parent).toBe(root);
  });

  it.each([
    ['the folder above the root', () => join(root, '..')],
    ['a way out through ..', () => join(root, 'archive', '..', '..', '..', 'etc')],
    ['an absolute path elsewhere', () => outside],
    ['a system folder', () => '/etc'],
    ['a symlink inside the root that leads out', () => join(root, 'link-out')],
    ['a folder through that symlink', () => join(root, 'link-out', 'secret-folder')],
    ["the desk's own folder under the root", () => join(root, 'desk-home')],
  ])('refuses %s', (_what, path) => {
    expect(codeOf(() => listFolders(path(), rules))).toBe('PATH_NOT_ALLOWED');
  });

  it('says the same whether a folder outside exists or not, and refuses relative paths', () => {
    const said = (p: string) => messageOf(() => listFolders(join(outside, p), rules)).replace(p, 'X');
    expect(said('secret-folder')).toBe(said('no-such-folder'));
    expect(codeOf(() => listFolders('archive', rules))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => listFolders(join(root, 'no-such-folder'), rules))).toBe('NOT_FOUND');
    expect(codeOf(() => listFolders(join(root, 'photo.jpg'), rules))).toBe('NOT_FOUND');
  });

  it('refuses every folder while no root is set', () => {
    const none = { ...rules, allowedRoots: [] };
    expect(listFolders(null, none).folders).toEqual([]);
    expect(codeOf(() => listFolders(root, none))).toBe('PATH_NOT_ALLOWED');
  });

  it("gives example paths of the machine's own platform, never another's", () => {
    expect(folderExamples({ home: '/x', allowedRoots: [], platform: 'linux', userHome: '/home/ed' })).toEqual({ watch: '/home/ed/Pictures/Incoming', output: '/home/ed/Pictures/Signed' });
    expect(folderExamples({ home: 'C:\\x', allowedRoots: [], platform: 'win32', userHome: 'C:\\Users\\ed' })).toEqual({
      watch: 'C:\\Users\\ed\\Pictures\\Incoming', output: 'C:\\Users\\ed\\Pictures\\Signed',
    });
  });
});

describe('folderList through the DeskApi and web mode', () => {
  let desk: Desk;
  let host: DeskHost;
  let web: WebServer;
  let root: string;

  beforeAll(async () => {
    const t = await testDesk();
    desk = t.desk;
    await addUsers(desk, t.admin, { ed: ['editor'], vic: ['viewer'], cy: ['chief'] });
    root = realpathSync(tempDir('custody-roots-'));
    mkdirSync(join(root, 'card'));
    desk.setAllowedRoots(t.admin, [root]);
    host = new DeskHost(desk, { kind: 'test' });
    const rendererDir = tempDir();
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Custody</title>');
    web = await startWebServer(desk, { rendererDir, folderListingsPerMinute: 3, log: () => undefined });
  });
  afterAll(async () => {
    await web.close();
    await host.close();
    desk.close();
  });

  const as = async (name: string | null) => {
    const api = host.api(memorySession());
    if (name) await api.login({ name, password: `${name}-tidal-lantern-42` });
    return api;
  };
  const refusal = (p: Promise<unknown>) => p.then(() => null, (e: { code?: string }) => e.code ?? 'thrown');

  it('lists for those who may add watched folders, and no one else', async () => {
    expect((await (await as('ed')).folderList({ path: root })).folders).toEqual([{ name: 'card', path: join(root, 'card') }]);
    expect(await refusal((await as('vic')).folderList({}))).toBe('NOT_PERMITTED');
    expect(await refusal((await as('cy')).folderList({ path: root }))).toBe('NOT_PERMITTED');
    expect(await refusal((await as(null)).folderList({}))).toBe('NOT_AUTHENTICATED');
  });

  it('in web mode: not without a login, and only so many listings a minute per login', async () => {
    const anon = webClient(web);
    expect((await anon.call('folderList', {})).status).toBe(401);
    const ed = webClient(web);
    expect((await ed.call('login', { name: 'ed', password: 'ed-tidal-lantern-42' })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await ed.call('folderList', { path: root })).status).toBe(200);
    const limited = await ed.call('folderList', { path: root });
    expect(limited.status).toBe(429);
    expect(limited.body.error?.code).toBe('RATE_LIMITED');
    // Another login has its own count.
    const other = webClient(web);
    await other.call('login', { name: 'ed', password: 'ed-tidal-lantern-42' });
    expect((await other.call('folderList', { path: join(root, '..') })).body.error?.code).toBe('PATH_NOT_ALLOWED');
  });
});
