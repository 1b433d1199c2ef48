// The desktop app's "save the selection as a ZIP" (core/api/host-bridge.ts): the main process asks the desk which
// items this user may download (the same rule, item by item, as web mode's ZIP: DeskHost.zipSelection), asks the
// user where to save with the native dialog, asks the desk again (a role may have gone while the dialog was open),
// and streams the archive from the signed files on disk to a temporary file beside the chosen one, then renames it
// into place: the files never pass through the renderer, and a failure leaves no half-written ZIP.
// Free of Electron's runtime (the dialog is passed in), so that a test can drive it without the binary.
import type { IpcMainInvokeEvent, SaveDialogOptions } from 'electron';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { envelope, type Envelope } from '../../core/api/envelope.ts';
import { parseWith, type DeskHost, type SessionSlot } from '../../core/api/handlers.ts';
import { SAVE_ZIP_CHANNEL, type SaveZipResult } from '../../core/api/host-bridge.ts';
import { zipArgs } from '../../core/api/library-schemas.ts';
import { writeZip, type ZipEntry } from '../../core/api/zip.ts';
import { CustodyError, isCustodyError } from '../../core/errors.ts';
import type { IpcMainLike } from './ipc.ts';

/** The part of Electron's dialog module used here: a save dialog (attached to the window by the caller). */
export interface SaveDialog {
  showSaveDialog(options: SaveDialogOptions): Promise<{ canceled: boolean; filePath?: string }>;
}

export interface SaveZipDeps {
  host: Pick<DeskHost, 'desk' | 'zipSelection'>;
  /** The app's one login session: the user the desk authorizes. */
  session: SessionSlot;
  dialog: SaveDialog;
  /** Where the dialog opens (the user's Downloads folder). */
  downloads: string;
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
}

/** The handler of SAVE_ZIP_CHANNEL. */
export function saveZipHandler(deps: SaveZipDeps): (event: IpcMainInvokeEvent, args: unknown) => Promise<Envelope<SaveZipResult>> {
  return async (event, args) => {
    if (!deps.isTrustedSender(event)) {
      return { ok: false, error: { code: 'NOT_PERMITTED', message: `expected a call from the Custody window, got one from ${event.senderFrame?.url ?? 'an unknown frame'}` } };
    }
    return envelope(async (): Promise<SaveZipResult> => {
      const { ids, published = false } = parseWith(zipArgs, 'saveZip', args);
      const asked = deps.host.zipSelection(deps.session, ids, published);
      if (asked.entries.length === 0) return { saved: null, included: [], refused: asked.refused };
      const choice = await deps.dialog.showSaveDialog({
        title: 'Save the selection as a ZIP',
        defaultPath: join(deps.downloads, `custody-${new Date().toISOString().slice(0, 10)}-${asked.entries.length}.zip`),
        filters: [{ name: 'ZIP archive', extensions: ['zip'] }],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      });
      if (choice.canceled || !choice.filePath) return { saved: null, included: asked.included, refused: asked.refused };
      const target = choice.filePath;
      // Never into the desk's own data folder, a system folder or where secrets are kept (core/paths/confine.ts).
      deps.host.desk.confine(dirname(target), 'folder');
      const now = deps.host.zipSelection(deps.session, ids, published);
      if (now.entries.length === 0) {
        throw new CustodyError('NOT_PERMITTED', `expected at least one file this user may still download, got none: ${now.refused[0]?.message ?? 'all were refused'}`);
      }
      await saveZipFile(target, now.entries);
      return { saved: target, included: now.included, refused: now.refused };
    });
  };
}

/** Streams the archive into a new temporary file beside `target`, flushes it, and renames it onto `target`. */
export async function saveZipFile(target: string, entries: readonly ZipEntry[]): Promise<void> {
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.part`);
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
  let failed = null as Error | null;
  out.on('error', (e) => (failed ??= e));
  try {
    await once(out, 'open');
    await writeZip(out, entries);
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (failed) throw failed;
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    out.destroy();
    await rm(tmp, { force: true });
    if (isCustodyError(e)) throw e;
    throw new CustodyError('IO_ERROR', `expected to write the ZIP to ${target}, but it failed: ${(e as Error).message}`, { path: target }, { cause: e });
  }
}

/** Registers the channel; returns its removal. */
export function registerZipIpc(ipc: IpcMainLike, deps: SaveZipDeps): () => void {
  ipc.handle(SAVE_ZIP_CHANNEL, saveZipHandler(deps));
  return () => ipc.removeHandler(SAVE_ZIP_CHANNEL);
}
