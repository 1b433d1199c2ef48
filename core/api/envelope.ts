// How a DeskApi call's outcome crosses a boundary: thrown errors lose their code over IPC (Electron serialises
// only the message), so both adapters answer with an envelope and the client rethrows.
import { isCustodyError } from '../errors.ts';

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: { code: string; message: string } };

export async function envelope<T>(fn: () => Promise<T>): Promise<Envelope<T>> {
  try {
    return { ok: true, result: await fn() };
  } catch (e) {
    if (isCustodyError(e)) return { ok: false, error: { code: e.code, message: e.message } };
    return { ok: false, error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } };
  }
}
