// The Electron IPC adapter with ipcMain replaced by a fake: sender checks and schema validation.
import type { IpcMainInvokeEvent } from 'electron';
import sharp from 'sharp';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESK_METHODS, deskApi } from '../core/api/desk-api.ts';
import { createDeskHandlers } from '../core/api/handlers.ts';
import type { Desk } from '../core/desk.ts';
import { channelOf, registerDeskIpc, type IpcMainLike } from '../electron/main/ipc.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
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
  invoke(channel: string, frameUrl: string, args: unknown, topLevel = true): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`no handler for ${channel}`);
    const event = { senderFrame: { url: frameUrl, parent: topLevel ? null : {} } } as unknown as IpcMainInvokeEvent;
    return Promise.resolve(h(event, args));
  }
}

const TRUSTED = 'file:///app/out/renderer/index.html';
const trusted = (e: IpcMainInvokeEvent) => e.senderFrame?.url === TRUSTED && e.senderFrame.parent === null;

let desk: Desk;
let ipc: FakeIpcMain;
let unregister: () => void;

beforeAll(async () => {
  desk = await tempDesk();
  ipc = new FakeIpcMain();
  unregister = registerDeskIpc(ipc, createDeskHandlers(desk), trusted);
});
afterAll(() => desk.close());

describe('IPC adapter', () => {
  it('registers exactly one channel per DeskApi method', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(DESK_METHODS.map(channelOf).sort());
    expect(DESK_METHODS.sort()).toEqual(Object.keys(deskApi).sort());
  });

  it('answers the trusted window', async () => {
    const r = (await ipc.invoke('desk:info', TRUSTED, {})) as { ok: boolean; result: { org: string } };
    expect(r).toMatchObject({ ok: true, result: { org: 'Test Newsroom', unlocked: true } });
  });

  it.each([
    ['another origin', 'https://evil.example/', true],
    ['a subframe of our page', TRUSTED, false],
    ['a file elsewhere', 'file:///tmp/evil.html', true],
  ])('refuses %s with NOT_PERMITTED, before anything runs', async (_name, url, topLevel) => {
    const dir = tempDir();
    const src = join(dir, 'x.png');
    await sharp(photo('camera.png')).toFile(src);
    const r = await ipc.invoke('desk:sign', url, { paths: [src] }, topLevel);
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_PERMITTED' } });
    expect(desk.items()).toHaveLength(0);
  });

  it.each([
    ['sign', { paths: [] }, /sign: paths: expected at least one file/],
    ['sign', { paths: 'a.jpg' }, /sign: paths: /],
    ['verify', {}, /verify: path: /],
    ['verify', { path: '' }, /expected a file path, got an empty string/],
    ['item', { id: "rec_'; DROP TABLE records; --" }, /expected a record id/],
    ['items', { limit: -5 }, /items: limit: /],
    ['unlock', { passphrase: '' }, /expected the passphrase/],
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
