// The renderer's typed DeskApi client: Electron's preload bridge when present, else web mode's HTTP routes. A call
// refused for want of a login announces it (the app then shows the login screen).
import type { DeskApi, DeskBridge, DeskMethod, DeskResult } from '../../core/api/desk-api.ts';
import type { HostBridge } from '../../core/api/host-bridge.ts';

export class DeskError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}


declare global {
  interface Window {
    custody?: DeskBridge;
    custodyHost?: HostBridge;
  }
}

export const UNAUTHENTICATED_EVENT = 'custody:unauthenticated';

const TOKEN_KEY = 'custody.token';

/**
 * Web mode's server token: taken from the address `custody web` printed, kept in this tab's sessionStorage (bound
 * to the desk's origin, port included, unlike a cookie) and sent as a header with every call, which no other
 * page can read or forge. It leaves the address bar and the history at once.
 */
function serverToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

const webToken = window.custody ? '' : serverToken();
const authHeader = { authorization: `Bearer ${webToken}` };

function webCall(method: DeskMethod, args: unknown): Promise<unknown> {
  return fetch(`/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeader },
    credentials: 'same-origin',
    body: JSON.stringify(args ?? {}),
  }).then(async (res) => {
    const body = (await res.json().catch(() => null)) as { ok: boolean; result?: unknown; error?: { code: string; message: string } } | null;
    if (body?.ok) return body.result;
    throw new DeskError(body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? res.statusText);
  });
}

async function bridgeCall(bridge: DeskBridge, method: DeskMethod, args: unknown): Promise<unknown> {
  const answer = await (bridge[method] as (a: unknown) => Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string } }>)(args ?? {});
  if (answer.ok) return answer.result;
  throw new DeskError(answer.error?.code ?? 'INTERNAL', answer.error?.message ?? 'the desk did not answer');
}

function client(): DeskApi {
  const bridge = window.custody;
  return new Proxy({} as DeskApi, {
    get: (_t, method: DeskMethod) => async (args: unknown) => {
      try {
        return await (bridge ? bridgeCall(bridge, method, args) : webCall(method, args));
      } catch (e) {
        const err = e instanceof DeskError ? e : new DeskError('INTERNAL', errorText(e));
        if (err.code === 'NOT_AUTHENTICATED' && method !== 'login') window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
        throw err;
      }
    },
  });
}

export const desk: DeskApi = client();
export const isElectron = window.custody !== undefined;

export const errorText = (e: unknown): string => (e instanceof DeskError ? e.message : e instanceof Error ? e.message : String(e));

/** Web mode only: sends a file to the desk process (with upload progress) and returns its path there. */
export function uploadFile(file: File, onProgress?: (fraction: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/upload');
    xhr.withCredentials = true;
    xhr.setRequestHeader('x-file-name', encodeURIComponent(file.name));
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('authorization', authHeader.authorization);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new DeskError('IO_ERROR', `expected to send ${file.name} to the desk, but the connection failed`));
    xhr.onload = () => {
      type Answer = { ok?: boolean; result?: { path: string }; error?: { code: string; message: string } };
      const body = ((): Answer | null => {
        try {
          return JSON.parse(xhr.responseText) as Answer;
        } catch {
          return null;
        }
      })();
      if (body?.ok && body.result) resolve(body.result.path);
      else reject(new DeskError(body?.error?.code ?? `HTTP_${xhr.status}`, body?.error?.message ?? `upload of ${file.name} failed`));
    };
    xhr.send(file);
  });
}

/** A path the desk process can read: the file's own path in the desktop app, an upload in web mode. */
export async function deskPath(file: File, onProgress?: (fraction: number) => void): Promise<string> {
  if (window.custodyHost) {
    const p = window.custodyHost.pathForFile(file);
    if (p) return p;
    throw new DeskError('NOT_FOUND', `expected a file on disk, got ${file.name}, which has no path (drop it from a folder)`);
  }
  return uploadFile(file, onProgress);
}

/** Hands text to the user as a file download (web mode and the desktop app alike). */
export function download(content: string, filename: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: mime }));
  follow(url, filename);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Web mode: the page's own address of a signed (or published) file, for links; downloadFile fetches it. */
export const fileUrl = (id: string, published = false): string => `/files/${id}${published ? '?published=1' : ''}`;

/**
 * Web mode: downloads a signed (or published) file. A navigation cannot carry the token header, so the page asks
 * for a one-time address first (good for a minute, for this login only) and then follows it.
 */
export async function downloadFile(id: string, published = false): Promise<void> {
  const { url } = await askTicket<{ url: string }>(`/files/${encodeURIComponent(id)}/ticket`, { published });
  follow(url);
}

/** Asks web mode for a one-time download address (the token header rides on this POST, not on the navigation). */
async function askTicket<T>(path: string, payload: unknown): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeader },
    credentials: 'same-origin',
    body: JSON.stringify(payload),
  });
  const body = (await res.json().catch(() => null)) as { ok: boolean; result?: T; error?: { code: string; message: string } } | null;
  if (!body?.ok || !body.result) throw new DeskError(body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? res.statusText);
  return body.result;
}

/** Follows a download address; the browser saves what it answers (under `filename`, or the name it sends). */
function follow(url: string, filename = ''): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
}

/** What each phase of a video's signing or checking is called on screen. */
const PHASE_TEXT: Record<NonNullable<DeskResult<'progress'>>['phase'], string> = {
  starting: 'Starting',
  hashing: 'Hashing the file',
  fingerprinting: 'Reading the frames',
  credentials: 'Writing Content Credentials',
  writing: 'Saving the signed copy',
  done: 'Done',
};

/**
 * A fresh key for `progress`, and a poll of it while `work` runs: a video reports its figure (0–1 here) and its
 * phase; `text` says the phase and the seconds decoded of the total. A photo says nothing and its bar stays
 * indeterminate.
 */
export async function withProgress<T>(onTick: (fraction: number, text: string) => void, work: (progressKey: string) => Promise<T>): Promise<T> {
  const key = crypto.randomUUID();
  const timer = setInterval(() => {
    desk.progress({ key }).then((p) => {
      if (!p || p.phase === 'starting') return;
      const secs = p.totalSec > 0 && p.phase === 'fingerprinting' ? ` · ${Math.round(p.doneSec)} of ${Math.round(p.totalSec)} s` : '';
      onTick(Math.min(1, p.percent / 100), `${PHASE_TEXT[p.phase]}${secs}`);
    }, () => undefined);
  }, 250);
  try {
    return await work(key);
  } finally {
    clearInterval(timer);
  }
}

/**
 * Downloads the selected items' signed (or published) files as one ZIP. The desk asks each item of the same rule as
 * a single download, and answers with those it refused and why; the ZIP holds the others. Web mode: the browser
 * saves it (`saved` is its download address). The desktop app: the main process asks where (a save dialog) and
 * writes it there; `saved` is that file, or null when the dialog was cancelled.
 */
export async function downloadZip(ids: readonly string[], published = false): Promise<{ saved: string | null; included: string[]; refused: { id: string; code: string; message: string }[] }> {
  const host = window.custodyHost;
  if (host) {
    const answer = await host.saveZip({ ids: [...ids], published });
    if (!answer.ok) throw new DeskError(answer.error.code, answer.error.message);
    return answer.result;
  }
  type Answer = { url: string | null; included: string[]; refused: { id: string; code: string; message: string }[] };
  const answer = await askTicket<Answer>('/files/zip/ticket', { ids, published });
  if (answer.url) follow(answer.url);
  return { saved: answer.url, included: answer.included, refused: answer.refused };
}
