// A small HTTP proxy on 127.0.0.1 in front of a hub that fails at random, as networks and load balancers do: it
// answers 500 without forwarding, forwards and then cuts the connection before the answer (the hub committed, the
// desk never hears), holds a request until the client gives up, or resets the connection at once. Seeded, so a
// failing run can be replayed.
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultCounts {
  passed: number;
  error500: number;
  answerLost: number;
  held: number;
  reset: number;
}

export interface FaultProxy {
  url: string;
  counts: FaultCounts;
  /** Share of requests that fail (default 0.5); 0 passes everything. */
  failureRate: number;
  close(): Promise<void>;
}

export async function faultProxy(target: string, o: { seed?: number; failureRate?: number } = {}): Promise<FaultProxy> {
  let state = (o.seed ?? 17) >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const t = new URL(target);
  const counts: FaultCounts = { passed: 0, error500: 0, answerLost: 0, held: 0, reset: 0 };
  const proxy: FaultProxy = { url: '', counts, failureRate: o.failureRate ?? 0.5, close: async () => undefined };
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const roll = random();
      const f = proxy.failureRate;
      const fault = roll < f * 0.3 ? 'error500' : roll < f * 0.6 ? 'answerLost' : roll < f * 0.8 ? 'held' : roll < f ? 'reset' : 'passed';
      counts[fault]++;
      if (fault === 'error500') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"code":"INTERNAL_ERROR","message":"the proxy failed"}');
      if (fault === 'reset') return void req.socket.destroy();
      if (fault === 'held') return void held.add(res);
      const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (c: Buffer) => body.push(c));
        answer.on('end', () => {
          if (fault === 'answerLost') return void req.socket.destroy();
          res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(body));
        });
      });
      up.on('error', () => req.socket.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((r) => {
      for (const res of held) res.socket?.destroy();
      server.closeAllConnections();
      server.close(() => r());
    });
  return proxy;
}
