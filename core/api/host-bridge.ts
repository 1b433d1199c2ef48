// What the desktop app's preload offers besides the DeskApi (`window.custodyHost`): a helper for dropped files and
// one narrow IPC channel for what only the main process can do, saving the selection as a ZIP where the user chooses
// (a native save dialog; the archive streams from disk to that file, never through the page). Kept free of zod
// and of Electron so that the sandboxed preload, the main process and the renderer's types share it.
import type { Envelope } from './envelope.ts';

/** The IPC channel of saveZip; the main process checks its sender like every desk:<method> channel. */
export const SAVE_ZIP_CHANNEL = 'host:saveZip';

export interface SaveZipArgs {
  ids: string[];
  published?: boolean;
}

export interface SaveZipResult {
  /** The file written; null when nothing was (the dialog was cancelled, or no item may be downloaded). */
  saved: string | null;
  /** The items whose files are in it (or would have been). */
  included: string[];
  /** The items left out, with the desk's reason (the same rule as a single download). */
  refused: { id: string; code: string; message: string }[];
}

export interface HostBridge {
  /** The path on disk of a File from a drop or an <input type=file>; '' for one that has none. */
  pathForFile(file: File): string;
  saveZip(args: SaveZipArgs): Promise<Envelope<SaveZipResult>>;
}
