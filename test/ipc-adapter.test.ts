// The Electron IPC adapter with ipcMain replaced by a fake: the real sender check on every channel, schema
// validation of every method's arguments, and the preload bridge (with Electron's modules faked).
import type { IpcMainInvokeEvent } from 'electron';
import sharp from 'sharp';
import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DESK_METHODS, deskApi } from '../core/api/desk-api.ts';
import { DESK_METHOD_NAMES } from '../core/api/methods.ts';
import { createDeskHandlers } from '../core/api/handlers.ts';
import type { Desk } from '../core/desk.ts';
import { channelOf, registerDeskIpc, type IpcMainLike } from '../electron/main/ipc.ts';
import { CSP, trustedSender, windowOptions } from '../electron/main/policy.ts';
import { WEB_CSP } from '../cli/web.ts';
import { photo } from './fixtures/photos.ts';
import { rendererBuild } from './helpers/browser.ts';
import { ROOT, tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

type Listener = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, listener: Listener): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(channel: string, frameUrl: string | null, args: unknown, topLevel = true): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`no handler for ${channel}`);
    const senderFrame = frameUrl === null ? null : { url: frameUrl, parent: topLevel ? null : {} };
    return Promise.resolve(h({ senderFrame } as unknown as IpcMainInvokeEvent, args));
  }
}

const TRUSTED = 'custody://app/index.html';

let desk: Desk;
let ipc: FakeIpcMain;
let unregister: () => void;

beforeAll(async () => {
  desk = await tempDesk();
  ipc = new FakeIpcMain();
  unregister = registerDeskIpc(ipc, createDeskHandlers(desk), trustedSender(undefined));
});
afterAll(() => desk.close());

describe('the sender check', () => {
  const check = trustedSender(undefined);
  const event = (url: string, topLevel = true) => ({ senderFrame: { url, parent: topLevel ? null : {} } }) as unknown as IpcMainInvokeEvent;

  it.each([
    ['our window', TRUSTED, true, true],
    ['our window with a hash route', `${TRUSTED}#/library/rec_x`, true, true],
    ['a subframe of our page', TRUSTED, false, false],
    ['a local file', 'file:///tmp/evil.html', true, false],
    ['the renderer build as a file', 'file:///app/out/renderer/index.html', true, false],
    ['another page of our scheme', 'custody://app/evil.html', true, false],
    ['another host of our scheme', 'custody://evil/index.html', true, false],
    ['a web page', 'https://evil.example/', true, false],
    ['not a URL', 'garbage', true, false],
  ])('%s', (_name, url, topLevel, ok) => {
    expect(check(event(url, topLevel))).toBe(ok);
  });

  it('accepts only the dev server origin under electron-vite dev', () => {
    const dev = trustedSender('http://localhost:5173');
    expect(dev(event('http://localhost:5173/#/sign'))).toBe(true);
    expect(dev(event('http://localhost:51730/'))).toBe(false);
    expect(dev(event(TRUSTED))).toBe(false);
  });

  it('refuses a call without a sender frame (a frame gone before the call arrived)', () => {
    expect(check({ senderFrame: null } as unknown as IpcMainInvokeEvent)).toBe(false);
  });
});

describe('the window policy', () => {
  it('sandboxes the page: context isolation, no Node, web security, no webviews', () => {
    expect(windowOptions('/app/out/preload/index.cjs').webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false,
      nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, webviewTag: false,
    });
  });

  it('has one content security policy: the window header, the page meta tag and web mode agree', () => {
    const directives = (p: string) => p.split(';').map((d) => d.trim()).filter((d) => d && !d.startsWith('frame-ancestors')).sort();
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(readFileSync(join(ROOT, 'renderer', 'index.html'), 'utf8'))![1]!;
    expect(directives(meta)).toEqual(directives(CSP));
    expect(directives(WEB_CSP)).toEqual(directives(CSP));
    expect(CSP).toContain("img-src 'self' data: blob:");
    expect(CSP).toContain("script-src 'self';");
    expect(CSP).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
  });
});

describe('IPC adapter', () => {
  it('registers exactly one channel per DeskApi method, and the preload knows the same methods', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(DESK_METHODS.map(channelOf).sort());
    expect([...DESK_METHODS].sort()).toEqual(Object.keys(deskApi).sort());
    expect([...DESK_METHOD_NAMES].sort()).toEqual(Object.keys(deskApi).sort());
  });

  it('answers the trusted window', async () => {
    const r = (await ipc.invoke('desk:info', TRUSTED, {})) as { ok: boolean; result: { org: string } };
    expect(r).toMatchObject({ ok: true, result: { org: 'Test Newsroom', unlocked: true } });
  });

  it.each(DESK_METHODS.map((m) => [m]))('refuses %s to a foreign frame with NOT_PERMITTED, before anything runs', async (method) => {
    const before = desk.audit.verify().entries;
    for (const [url, top] of [['https://evil.example/', true], [TRUSTED, false], [null, true]] as const) {
      const r = await ipc.invoke(channelOf(method), url, { paths: ['/etc/passwd'], path: '/etc/passwd', id: 'rec_00000000000000000000000000' }, top);
      expect(r).toMatchObject({ ok: false, error: { code: 'NOT_PERMITTED' } });
    }
    expect(desk.audit.verify().entries).toBe(before);
  });

  it('refuses a foreign frame even when the arguments would sign a real file', async () => {
    const src = join(tempDir(), 'x.png');
    await sharp(photo('camera.png')).toFile(src);
    expect(await ipc.invoke('desk:sign', 'https://evil.example/', { paths: [src] })).toMatchObject({ ok: false, error: { code: 'NOT_PERMITTED' } });
    expect(desk.items()).toHaveLength(0);
  });

  it.each([
    ['sign', { paths: [] }, /sign: paths: expected at least one file/],
    ['sign', { paths: 'a.jpg' }, /sign: paths: /],
    ['verify', {}, /verify: path: /],
    ['verify', { path: '' }, /expected a file path, got an empty string/],
    ['verify', { path: '/x.jpg', progressKey: '../../x' }, /expected a progress key/],
    ['progress', { key: 'short' }, /progress: key: expected a progress key/],
    ['item', { id: "rec_'; DROP TABLE records; --" }, /expected a record id/],
    ['items', { limit: -5 }, /items: limit: /],
    ['items', { state: 'lost' }, /items: state: /],
    ['items', { from: '1 March' }, /expected a date like 2025-06-01/],
    ['unlock', { passphrase: '' }, /expected the passphrase/],
    ['login', { name: '', password: 'x' }, /expected a user name/],
    ['thumbnail', { id: 'rec_00000000000000000000000000', size: 5000 }, /thumbnail: size: /],
    ['submit', { id: 'rec_00000000000000000000000000', classification: 'top-secret' }, /submit: classification: /],
    ['submit', { id: 'rec_00000000000000000000000000', flags: ['gossip'] }, /submit: flags\.0: /],
    ['reject', { id: 'rec_00000000000000000000000000', comment: '   ' }, /expected a comment saying why/],
    ['requestChanges', { id: 'rec_00000000000000000000000000' }, /requestChanges: comment: /],
    ['comment', { id: 'rec_00000000000000000000000000', text: 'x'.repeat(4001) }, /at most 4000 characters/],
    ['auditList', { limit: 0 }, /auditList: limit: /],
    ['auditExport', { format: 'xlsx' }, /auditExport: format: /],
    ['watchAdd', { path: '', outDir: '/out' }, /expected the folder to watch/],
    ['watchRemove', { id: '../../etc' }, /expected a watched folder id/],
    ['userAdd', { name: 'Ada Lovelace', roles: ['admin'], password: 'longenough' }, /userAdd: name: /],
    ['userAdd', { name: 'ada', roles: [], password: 'longenough' }, /expected at least one role/],
    ['userAdd', { name: 'ada', roles: ['root'], password: 'longenough' }, /userAdd: roles\.0: /],
    ['userAdd', { name: 'ada', roles: ['admin'], password: 'short' }, /at least 12 characters/],
    ['settingsSet', { hybridPq: 'yes' }, /settingsSet: hybridPq: /],
    ['templateSave', { template: { name: 'x' } }, /templateSave: template\./],
    ['pickFiles', { purpose: 'anything' }, /pickFiles: purpose: /],
    ['pickFolder', { purpose: 'desktop' }, /pickFolder: purpose: /],
    ['folderList', { path: '' }, /folderList: path: /],
  ])('rejects bad arguments to %s by its schema', async (method, args, msg) => {
    const r = (await ipc.invoke(channelOf(method), TRUSTED, args)) as { ok: boolean; error: { code: string; message: string } };
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('INVALID_ARGUMENT');
    expect(r.error.message).toMatch(msg);
  });

  it('signs and verifies through the channels, carrying error codes back', async () => {
    const dir = tempDir();
    const src = join(dir, 'coffee.png');
    await sharp(photo('coffee.png')).toFile(src);
    const signed = (await ipc.invoke('desk:sign', TRUSTED, { paths: [src, join(dir, 'missing.jpg')] })) as {
      ok: true;
      result: { receipts: { recordId: string; output: string }[]; failures: { code: string }[] };
    };
    expect(signed.ok).toBe(true);
    expect(signed.result.receipts).toHaveLength(1);
    expect(signed.result.failures).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    const v = (await ipc.invoke('desk:verify', TRUSTED, { path: signed.result.receipts[0]!.output })) as { ok: true; result: { verdict: string } };
    expect(v.result.verdict).toBe('authentic');
    const missing = await ipc.invoke('desk:item', TRUSTED, { id: 'rec_00000000000000000000000000' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('removes its handlers', () => {
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });
});

describe('the folder dialog over IPC', () => {
  it('answers the folder the person chose, to our window only, and adding it judges it like a typed path', async () => {
    const d = await tempDesk();
    try {
      const root = tempDir();
      const outside = tempDir();
      d.setAllowedRoots(d.bootstrapActor()!, [root]);
      mkdirSync(join(root, 'card'));
      mkdirSync(join(outside, 'card'));
      const asked: unknown[] = [];
      let chosen: string | null = join(outside, 'card');
      const dialogs = { pickFiles: async () => [], pickFolder: async (o: unknown) => (asked.push(o), chosen) };
      const fake = new FakeIpcMain();
      registerDeskIpc(fake, createDeskHandlers(d, { kind: 'electron', dialogs }), trustedSender(undefined));

      expect(await fake.invoke('desk:pickFolder', 'file:///tmp/evil.html', { purpose: 'watch' })).toMatchObject({ ok: false, error: { code: 'NOT_PERMITTED' } });
      expect(asked).toEqual([]);
      expect(await fake.invoke('desk:pickFolder', TRUSTED, { purpose: 'watch' })).toEqual({ ok: true, result: { path: chosen } });
      // The dialog opens at the allowed root.
      expect(asked).toEqual([{ purpose: 'watch', defaultPath: realpathSync(root) }]);
      const add = (path: string) => fake.invoke('desk:watchAdd', TRUSTED, { path, outDir: join(root, 'signed'), start: false });
      expect(await add(chosen)).toMatchObject({ ok: false, error: { code: 'PATH_NOT_ALLOWED' } });
      chosen = join(root, 'card');
      const picked = (await fake.invoke('desk:pickFolder', TRUSTED, { purpose: 'watch' })) as { result: { path: string } };
      expect(await add(picked.result.path)).toMatchObject({ ok: true, result: { path: realpathSync(chosen) } });
    } finally {
      d.close();
    }
  });
});

describe('the preload bridge', () => {
  it('exposes the DeskApi methods, a file-path helper and saveZip, never ipcRenderer, and answers with envelopes', async () => {
    const exposed: Record<string, unknown> = {};
    const invoked: [string, unknown][] = [];
    vi.resetModules();
    vi.doMock('electron', () => ({
      contextBridge: { exposeInMainWorld: (key: string, value: unknown) => void (exposed[key] = value) },
      ipcRenderer: {
        invoke: async (channel: string, args: unknown) => {
          invoked.push([channel, args]);
          if (channel === 'desk:info') return { ok: true, result: { org: 'X' } };
          throw new Error('channel closed');
        },
      },
      webUtils: { getPathForFile: (f: { name: string }) => `/dropped/${f.name}` },
    }));
    await import('../electron/preload/index.ts');
    vi.doUnmock('electron');

    expect(Object.keys(exposed).sort()).toEqual(['custody', 'custodyHost']);
    const api = exposed.custody as Record<string, (a?: unknown) => Promise<unknown>>;
    expect(Object.keys(api).sort()).toEqual([...DESK_METHOD_NAMES].sort());
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.values(exposed).some((v) => v && typeof v === 'object' && 'invoke' in v)).toBe(false);
    expect(await api.info!({})).toEqual({ ok: true, result: { org: 'X' } });
    expect(await api.items!()).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'channel closed' } });
    expect(invoked).toEqual([['desk:info', {}], ['desk:items', {}]]);
    const host = exposed.custodyHost as { pathForFile: (f: unknown) => string; saveZip: (a: unknown) => Promise<unknown> };
    expect(Object.keys(host)).toEqual(['pathForFile', 'saveZip']);
    expect(Object.isFrozen(host)).toBe(true);
    expect(host.pathForFile({ name: 'a.jpg' })).toBe('/dropped/a.jpg');
    // the one host channel (electron/main/zip.ts): its envelope, or the failure as one
    expect(await host.saveZip({ ids: ['rec_x'] })).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'channel closed' } });
    expect(invoked.at(-1)).toEqual(['host:saveZip', { ids: ['rec_x'] }]);
  });

  it('is built into one CommonJS file that loads nothing but electron (a sandboxed preload cannot)', () => {
    rendererBuild();
    const bundle = readFileSync(join(ROOT, 'out', 'preload', 'index.cjs'), 'utf8');
    const required = [...bundle.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect([...new Set(required)]).toEqual(['electron']);
    expect(bundle).not.toMatch(/\bimport\s*[{(*]/);
  });
});
