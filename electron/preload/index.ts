// Exposes exactly the DeskApi methods to the renderer through contextBridge, never ipcRenderer itself; and, for
// drag and drop, the path of a dropped file (File.path is gone since Electron 32: webUtils.getPathForFile).
// Each method answers with the envelope (DeskBridge): an Error crossing contextBridge would lose its code.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { DESK_METHOD_NAMES } from '../../core/api/methods.ts';
import type { Envelope } from '../../core/api/envelope.ts';

const api: Record<string, (args: unknown) => Promise<Envelope<unknown>>> = {};
for (const method of DESK_METHOD_NAMES) {
  api[method] = async (args: unknown) => {
    try {
      return (await ipcRenderer.invoke(`desk:${method}`, args ?? {})) as Envelope<unknown>;
    } catch (e) {
      return { ok: false, error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } };
    }
  };
}
contextBridge.exposeInMainWorld('custody', Object.freeze(api));

contextBridge.exposeInMainWorld(
  'custodyHost',
  Object.freeze({
    /** The path on disk of a File from a drop or an <input type=file>; '' for one that has none. */
    pathForFile: (file: File): string => webUtils.getPathForFile(file),
  }),
);
