// A client as web mode's own page is one (the token header, JSON, its own origin, the cookie it was given), for
// tests over real HTTP.
import type { WebServer } from '../../cli/web.ts';

export interface Answer {
  ok: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test reads the result it asked for
  result?: any;
  error?: { code: string; message: string };
}

/** A client as the desk's own page is one: the token header, JSON, its own origin, and the cookie it was given. */
export function webClient(web: WebServer) {
  const base = new URL(web.url).origin;
  // the cookies a browser keeps for the page: the login's and, for a visitor without one, its visitor id
  const jar = new Map<string, string>();
  let cookie = '';
  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${web.token}`, origin: base, ...(cookie ? { cookie } : {}), ...extra });
  const remember = (res: Response) => {
    const set = res.headers.get('set-cookie');
    if (set) {
      const [pair] = set.split(';');
      const eq = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, eq), pair!.slice(eq + 1)];
      if (value) jar.set(name, value);
      else jar.delete(name);
      cookie = [...jar].map(([n, v]) => `${n}=${v}`).join('; ');
    }
    return set;
  };
  return {
    base,
    cookie: () => cookie,
    async call(method: string, args: unknown = {}): Promise<{ status: number; set: string | null; body: Answer }> {
      const res = await fetch(`${base}/api/${method}`, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(args) });
      const set = remember(res);
      return { status: res.status, set, body: (await res.json()) as Answer };
    },
    async upload(name: string, body: Uint8Array<ArrayBuffer> | string): Promise<{ status: number; body: Answer }> {
      const res = await fetch(`${base}/api/upload`, { method: 'POST', headers: headers({ 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(name) }), body });
      remember(res);
      return { status: res.status, body: (await res.json()) as Answer };
    },
    async download(id: string, published = false): Promise<Response> {
      const t = await fetch(`${base}/files/${id}/ticket`, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify({ published }) });
      const answer = (await t.json()) as Answer;
      if (!answer.ok) return new Response(JSON.stringify(answer), { status: t.status });
      return fetch(`${base}${answer.result.url}`, { headers: cookie ? { cookie } : {} });
    },
  };
}

