// Exposes exactly the DeskApi methods to the renderer through contextBridge, never ipcRenderer itself; for drag and
// drop, the path of a dropped file (File.path is gone since Electron 32: webUtils.getPathForFile); and saveZip, the
// one host channel (core/api/host-bridge.ts).
// Each method answers with the envelope (DeskBridge): an Error crossing contextBridge would lose its code.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { DESK_METHOD_NAMES } from '../../core/api/methods.ts';
import type { Envelope } from '../../core/api/envelope.ts';
import { SAVE_ZIP_CHANNEL, type HostBridge, type SaveZipArgs, type SaveZipResult } from '../../core/api/host-bridge.ts';

async function invoke<T>(channel: string, args: unknown): Promise<Envelope<T>> {
  try {
    return (await ipcRenderer.invoke(channel, args ?? {})) as Envelope<T>;
  } catch (e) {
    return { ok: false, error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } };
  }
}

const api: Record<string, (args: unknown) => Promise<Envelope<unknown>>> = {};
for (const method of DESK_METHOD_NAMES) api[method] = (args: unknown) => invoke(`desk:${method}`, args);
contextBridge.exposeInMainWorld('custody', Object.freeze(api));

const host: HostBridge = {
  pathForFile: (file: File): string => webUtils.getPathForFile(file),
  saveZip: (args: SaveZipArgs) => invoke<SaveZipResult>(SAVE_ZIP_CHANNEL, args),
};
contextBridge.exposeInMainWorld('custodyHost', Object.freeze(host));
