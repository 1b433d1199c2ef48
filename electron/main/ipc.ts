// The DeskApi over Electron IPC: one `desk:<method>` channel per method, each checking that the call comes from
// our own top-level renderer frame before the schema-validated handler runs.
import type { IpcMainInvokeEvent } from 'electron';
import { envelope, type Envelope } from '../../core/api/envelope.ts';
import { DESK_METHODS, type DeskApi } from '../../core/api/desk-api.ts';

/** The part of Electron's ipcMain this adapter uses, so that tests can pass a fake. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown> | unknown): void;
  removeHandler(channel: string): void;
}

export const channelOf = (method: string): string => `desk:${method}`;

export function registerDeskIpc(ipc: IpcMainLike, api: DeskApi, isTrustedSender: (event: IpcMainInvokeEvent) => boolean): () => void {
  const calls = api as unknown as Record<string, (args: unknown) => Promise<unknown>>;
  for (const method of DESK_METHODS) {
    ipc.handle(channelOf(method), (event, args): Promise<Envelope<unknown>> => {
      if (!isTrustedSender(event)) {
        return Promise.resolve({ ok: false, error: { code: 'NOT_PERMITTED', message: `expected a call from the Custody window, got one from ${event.senderFrame?.url ?? 'an unknown frame'}` } });
      }
      return envelope(() => calls[method]!(args));
    });
  }
  return () => DESK_METHODS.forEach((m) => ipc.removeHandler(channelOf(m)));
}
