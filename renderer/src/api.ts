// The renderer's typed DeskApi client: Electron's preload bridge when present, else web mode's HTTP routes.
import type { DeskApi, DeskMethod } from '../../core/api/desk-api.ts';

export class DeskError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

declare global {
  interface Window {
    custody?: DeskApi;
  }
}

function webClient(): DeskApi {
  return new Proxy({} as DeskApi, {
    get: (_t, method: DeskMethod) => async (args: unknown) => {
      const res = await fetch(`/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify(args ?? {}),
      });
      const body = (await res.json().catch(() => null)) as { ok: boolean; result?: unknown; error?: { code: string; message: string } } | null;
      if (body?.ok) return body.result;
      throw new DeskError(body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? res.statusText);
    },
  });
}

export const desk: DeskApi = window.custody ?? webClient();
export const isElectron = window.custody !== undefined;

/** Web mode only: sends a dropped file to the desk process and returns its path there. */
export async function uploadFile(file: File): Promise<string> {
  const res = await fetch('/api/upload', { method: 'POST', headers: { 'x-file-name': encodeURIComponent(file.name) }, credentials: 'same-origin', body: file });
  const body = (await res.json()) as { ok: boolean; result?: { path: string }; error?: { code: string; message: string } };
  if (!body.ok || !body.result) throw new DeskError(body.error?.code ?? 'UPLOAD_FAILED', body.error?.message ?? 'upload failed');
  return body.result.path;
}
