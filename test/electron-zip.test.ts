// The desktop app's "save the selection as a ZIP" (electron/main/zip.ts), driven as the main process runs it but
// with the save dialog passed in (Electron cannot run here): the sender check, the arguments' schema, the desk's
// rule asked item by item before the dialog and again after it, the chosen path confined, and the archive itself
// read back by Python's zipfile, entry by entry, against the signed files' SHA-256.
import type { IpcMainInvokeEvent, SaveDialogOptions } from 'electron';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySession, type SessionSlot } from '../core/api/context.ts';
import { DeskHost } from '../core/api/handlers.ts';
import { SAVE_ZIP_CHANNEL, type SaveZipResult } from '../core/api/host-bridge.ts';
import type { Envelope } from '../core/api/envelope.ts';
import type { Desk } from '../core/desk.ts';
import type { Actor } from '../core/directory/roles.ts';
import { sha256File } from '../core/media/hash.ts';
import { trustedSender } from '../electron/main/policy.ts';
import { registerZipIpc, saveZipHandler, type SaveDialog } from '../electron/main/zip.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { addUsers, testDesk } from './helpers/workflow-desk.ts';

const TRUSTED = 'custody://app/index.html';
const event = (url: string | null, topLevel = true) => ({ senderFrame: url === null ? null : { url, parent: topLevel ? null : {} } }) as unknown as IpcMainInvokeEvent;

/** A save dialog that answers what the test says, and remembers what it was asked. */
class FakeDialog implements SaveDialog {
  asked: SaveDialogOptions[] = [];
  private readonly answer: (o: SaveDialogOptions) => { canceled: boolean; filePath?: string };
  constructor(answer: (o: SaveDialogOptions) => { canceled: boolean; filePath?: string }) {
    this.answer = answer;
  }
  showSaveDialog(options: SaveDialogOptions): Promise<{ canceled: boolean; filePath?: string }> {
    this.asked.push(options);
    return Promise.resolve(this.answer(options));
  }
}

let desk: Desk;
let host: DeskHost;
let users: Record<string, Actor>;
const ids: string[] = [];
const outputs: string[] = [];
const NO_SUCH = 'rec_00000000000000000000000000';

async function loggedIn(name: string): Promise<SessionSlot> {
  const session = memorySession();
  await host.api(session).login({ name, password: `${name}-tidal-lantern-42` });
  return session;
}

function save(session: SessionSlot, dialog: SaveDialog, args: unknown, from: string | null = TRUSTED): Promise<Envelope<SaveZipResult>> {
  const handler = saveZipHandler({ host, session, dialog, downloads: '/home/someone/Downloads', isTrustedSender: trustedSender(undefined) });
  return handler(event(from), args);
}

/** Every entry of a ZIP as Python's zipfile reads it (CRCs checked): [name, sha256]. */
function zipListing(path: string): [string, string][] {
  const py = `import zipfile,sys,hashlib,json
z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
print(json.dumps([[i.filename, hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))`;
  return JSON.parse(execFileSync('python3', ['-c', py, path], { encoding: 'utf8' })) as [string, string][];
}

beforeAll(async () => {
  const t = await testDesk();
  desk = t.desk;
  host = new DeskHost(desk);
  users = await addUsers(desk, t.admin, { erin: ['editor'], vic: ['viewer'] });
  // Two photos of the same name from two folders (their entries must not collide; the same bytes, so the second is
  // signed again as its own record), and a third.
  const dir = tempDir();
  for (const [folder, name] of [['a', 'coffee.png'], ['b', 'coffee.png'], ['a', 'rocket.jpg']] as const) {
    mkdirSync(join(dir, folder), { recursive: true });
    const src = join(dir, folder, name);
    copyFileSync(photo(name), src);
    const r = await desk.sign(src, { actor: users.erin!, again: folder === 'b' });
    ids.push(r.recordId);
    outputs.push(r.output);
  }
}, 120_000);
afterAll(() => desk.close());

describe('saving the selection as a ZIP from the desktop app', () => {
  it('writes the chosen file: one entry per item, plain unique names, the signed bytes exactly; an unknown id is named as refused', async () => {
    const session = await loggedIn('erin');
    const target = join(tempDir(), 'selection.zip');
    const dialog = new FakeDialog(() => ({ canceled: false, filePath: target }));
    const r = await save(session, dialog, { ids: [...ids, NO_SUCH, ids[0]] });
    expect(r).toMatchObject({ ok: true, result: { saved: target, included: ids } });
    if (!r.ok) return;
    expect(r.result.refused).toEqual([{ id: NO_SUCH, code: 'NOT_FOUND', message: expect.stringContaining(NO_SUCH) }]);
    expect(dialog.asked).toHaveLength(1);
    expect(dialog.asked[0]).toMatchObject({ defaultPath: expect.stringMatching(/^\/home\/someone\/Downloads\/custody-\d{4}-\d\d-\d\d-3\.zip$/), filters: [{ extensions: ['zip'] }] });
    const listing = zipListing(target);
    expect(listing.map(([name]) => name)).toEqual(['coffee.signed.png', 'coffee.signed (2).png', 'rocket.signed.jpg']);
    const expected = await Promise.all(outputs.map((o) => sha256File(o)));
    expect(listing.map(([, sha]) => sha)).toEqual(expected);
    // nothing but the ZIP is left beside it (the temporary file was renamed into place)
    expect(readdirSync(join(target, '..'))).toEqual(['selection.zip']);
  });

  it('asks the desk before the dialog: a viewer gets no dialog, no file, and the reason for each unpublished item', async () => {
    const session = await loggedIn('vic');
    const dialog = new FakeDialog(() => {
      throw new Error('the dialog should not open');
    });
    const r = await save(session, dialog, { ids });
    expect(r).toMatchObject({ ok: true, result: { saved: null, included: [] } });
    if (!r.ok) return;
    expect(r.result.refused.map((x) => x.code)).toEqual(['NOT_PERMITTED', 'NOT_PERMITTED', 'NOT_PERMITTED']);
    expect(r.result.refused[0]!.message).toMatch(/expected a user who may sign .* got vic/);
    expect(dialog.asked).toHaveLength(0);
  });

  it('asks the desk again after the dialog: a login ended while it was open writes nothing', async () => {
    const session = await loggedIn('erin');
    const target = join(tempDir(), 'late.zip');
    const dialog = new FakeDialog(() => {
      session.set(null);
      return { canceled: false, filePath: target };
    });
    const r = await save(session, dialog, { ids });
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_PERMITTED', message: expect.stringMatching(/log in first/) } });
    expect(existsSync(target)).toBe(false);
  });

  it('writes nothing when the dialog is cancelled', async () => {
    const session = await loggedIn('erin');
    const dialog = new FakeDialog(() => ({ canceled: true }));
    const r = await save(session, dialog, { ids });
    expect(r).toEqual({ ok: true, result: { saved: null, included: ids, refused: [] } });
    expect(dialog.asked).toHaveLength(1);
  });

  it("refuses a place in the desk's own data folder or a system folder", async () => {
    const session = await loggedIn('erin');
    for (const target of [join(desk.home, 'x.zip'), '/etc/x.zip']) {
      const r = await save(session, new FakeDialog(() => ({ canceled: false, filePath: target })), { ids });
      expect(r).toMatchObject({ ok: false, error: { code: 'PATH_NOT_ALLOWED' } });
      expect(existsSync(target)).toBe(false);
    }
  });

  it('answers only our own window, and checks its arguments by their schema', async () => {
    const session = await loggedIn('erin');
    const never = new FakeDialog(() => {
      throw new Error('the dialog should not open');
    });
    for (const from of ['https://evil.example/', null]) {
      expect(await save(session, never, { ids }, from)).toMatchObject({ ok: false, error: { code: 'NOT_PERMITTED' } });
    }
    for (const [args, msg] of [
      [{ ids: [] }, /saveZip: ids: expected at least one item/],
      [{ ids: ['../../etc/passwd'] }, /saveZip: ids\.0: expected a record id/],
      [{ ids, published: 'yes' }, /saveZip: published: /],
      [{ ids, path: '/tmp/x.zip' }, /saveZip: .*path/],
      [{ ids: Array(501).fill(ids[0]) }, /at most 500 items/],
    ] as const) {
      expect(await save(session, never, args)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(msg) } });
    }
    expect(never.asked).toHaveLength(0);
  });

  it('registers one channel and removes it', () => {
    const channels = new Map<string, unknown>();
    const off = registerZipIpc(
      { handle: (c, l) => void channels.set(c, l), removeHandler: (c) => void channels.delete(c) },
      { host, session: memorySession(), dialog: new FakeDialog(() => ({ canceled: true })), downloads: '/tmp', isTrustedSender: () => true },
    );
    expect([...channels.keys()]).toEqual([SAVE_ZIP_CHANNEL]);
    off();
    expect(channels.size).toBe(0);
  });
});
