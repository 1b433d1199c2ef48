// A browser talking to web mode's DeskApi: the server token, plus whatever login cookie the server gives it.
import type { WebServer } from '../../cli/web.ts';

export interface BrowserAnswer {
  status: number;
  set: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test reads the result it asked for
  body: { ok: boolean; result?: any; error?: { code: string; message: string } };
}

export function webBrowser(web: WebServer): (method: string, args?: unknown) => Promise<BrowserAnswer> {
  const base = new URL(web.url).origin;
  let cookie = '';
  return async (method, args = {}) => {
    const res = await fetch(`${base}/api/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${web.token}`, 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(args),
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!.endsWith('=') ? '' : set.split(';')[0]!;
    return { status: res.status, set, body: (await res.json()) as BrowserAnswer['body'] };
  };
}
