// Exposes exactly the DeskApi methods to the renderer through contextBridge; never ipcRenderer itself.
import { contextBridge, ipcRenderer } from 'electron';
import { DESK_METHODS } from '../../core/api/desk-api.ts';
import type { Envelope } from '../../core/api/envelope.ts';

const api: Record<string, (args: unknown) => Promise<unknown>> = {};
for (const method of DESK_METHODS) {
  api[method] = async (args: unknown) => {
    const answer = (await ipcRenderer.invoke(`desk:${method}`, args ?? {})) as Envelope<unknown>;
    if (answer.ok) return answer.result;
    throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
  };
}
contextBridge.exposeInMainWorld('custody', Object.freeze(api));
