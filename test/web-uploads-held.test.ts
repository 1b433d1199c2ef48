// Uploads without a login are bounded while they arrive, not only once they have: a visitor with the token could
// otherwise open any number side by side (up to the uploads a minute), each up to 5 GB when it starts like an MP4,
// though docs/security.md promises 8 waiting at once. Over real HTTP: the places are taken before the first byte is
// read, given back when an upload is abandoned, and the bytes held in all are bounded too.
import { request, type ClientRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../cli/web.ts';
import type { AnonymousLimits } from '../cli/web-limits.ts';
import type { Desk } from '../core/desk.ts';
import { tempDir } from './helpers/cli.ts';
import { webClient, type Answer } from './helpers/web-client.ts';
import { addUsers, testDesk } from './helpers/workflow-desk.ts';

/** The first bytes of an MP4: the upload's limit becomes the 5 GB video limit. */
const MP4_HEAD = (() => {
  const b = Buffer.alloc(64);
  b.write('ftypisom', 4, 'latin1');
  return b;
})();
const MB = 1 << 20;

interface Open {
  req: ClientRequest;
  done: Promise<{ status: number; body: Answer | null }>;
}

/** One browser without a login (its visitor id): the raw uploads below are all its own. */
const visitor = (web: WebServer): string => `${web.cookieName}-visitor=held-test-visitor`;

/** An anonymous upload left open after its head and `first` bytes; the caller ends or destroys it. */
function openUpload(web: WebServer, name: string, first: number, declared?: number): Open {
  const base = new URL(web.url);
  const req = request({
    host: base.hostname, port: base.port, path: '/api/upload', method: 'POST',
    headers: {
      authorization: `Bearer ${web.token}`, origin: base.origin, 'content-type': 'application/octet-stream', 'x-file-name': name, cookie: visitor(web),
      ...(declared !== undefined ? { 'content-length': String(declared) } : {}),
    },
  });
  const done = new Promise<{ status: number; body: Answer | null }>((resolve) => {
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer }));
    });
    // A refused upload's connection is closed under the body still being written; only an answer counts.
    req.on('error', () => {
      if (!answered) resolve({ status: 0, body: null });
    });
  });
  req.write(MP4_HEAD);
  if (first > 0) req.write(Buffer.alloc(first));
  return { req, done };
}

const settle = (ms = 500): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function serve(anonymous: Partial<AnonymousLimits>): Promise<{ desk: Desk; web: WebServer }> {
  const t = await testDesk();
  await addUsers(t.desk, t.admin, { erin: ['editor'] }); // a desk with users: a caller without a login is anonymous
  const rendererDir = tempDir();
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Custody</title>');
  return { desk: t.desk, web: await startWebServer(t.desk, { rendererDir, anonymous }) };
}

/** Hands the uploads to verify, which deletes them once it has answered (they are no video: it refuses them). */
async function consume(web: WebServer, paths: string[], cookie = visitor(web)): Promise<void> {
  const base = new URL(web.url).origin;
  for (const path of paths) {
    await fetch(`${base}/api/verify`, { method: 'POST', headers: { authorization: `Bearer ${web.token}`, origin: base, cookie, 'content-type': 'application/json' }, body: JSON.stringify({ path }) });
  }
}

describe('uploads without a login held at once', () => {
  let desk: Desk;
  let web: WebServer;
  beforeAll(async () => {
    ({ desk, web } = await serve({ uploadsPerMinute: 100, held: 3, heldBytes: 1 << 30, verifying: 2 }));
  });
  afterAll(async () => {
    await web.close();
    desk.close();
  });

  it('counts uploads still arriving: of 12 sent side by side, 3 are taken and 9 refused before their bodies', async () => {
    const open = Array.from({ length: 12 }, (_, i) => openUpload(web, `v${i}.mp4`, MB));
    await settle();
    for (const o of open) o.req.end(Buffer.alloc(MB));
    const answers = await Promise.all(open.map((o) => o.done));
    const taken = answers.filter((a) => a.status === 200);
    expect(taken).toHaveLength(3);
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused).toHaveLength(9);
    for (const a of refused) {
      expect(a).toMatchObject({ status: 429, body: { ok: false, error: { code: 'RATE_LIMITED' } } });
      expect(a.body!.error!.message).toBe('expected at most 3 files waiting to be verified without a login, got more: try again in a minute');
    }
    await consume(web, taken.map((a) => a.body!.result.path as string));
  });

  it('gives the place of an abandoned upload back', async () => {
    const open = Array.from({ length: 3 }, (_, i) => openUpload(web, `a${i}.mp4`, MB));
    await settle();
    const fourth = openUpload(web, 'fourth.mp4', 0);
    fourth.req.end();
    expect(await fourth.done).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });

    for (const o of open) o.req.destroy();
    await Promise.all(open.map((o) => o.done));
    const v = webClient(web);
    let again = await v.upload('again.mp4', new Uint8Array(MP4_HEAD));
    for (let i = 0; again.status === 429 && i < 20; i += 1) {
      await settle(100); // the server notices the abandoned connections
      again = await v.upload('again.mp4', new Uint8Array(MP4_HEAD));
    }
    expect(again.status).toBe(200);
    const more = [await v.upload('b.mp4', new Uint8Array(MP4_HEAD)), await v.upload('c.mp4', new Uint8Array(MP4_HEAD))];
    expect(more.map((a) => a.status)).toEqual([200, 200]);
    expect((await v.upload('d.mp4', new Uint8Array(MP4_HEAD))).status).toBe(429);
    await consume(web, [again, ...more].map((a) => a.body.result.path as string), v.cookie());
  });
});

describe('bytes held without a login', () => {
  let desk: Desk;
  let web: WebServer;
  beforeAll(async () => {
    ({ desk, web } = await serve({ uploadsPerMinute: 100, held: 8, heldBytes: 3 * MB, verifying: 2 }));
  });
  afterAll(async () => {
    await web.close();
    desk.close();
  });

  it('refuses an upload that would pass them, by its declared size or as its bytes arrive', async () => {
    const declared = openUpload(web, 'big.mp4', 0, 4 * MB);
    expect(await declared.done).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED', message: 'expected at most 3.0 MB of files waiting to be verified without a login, got more: try again in a minute' } } });
    declared.req.destroy();

    const v = webClient(web);
    const first = await v.upload('first.mp4', new Uint8Array(Buffer.concat([MP4_HEAD, Buffer.alloc(2 * MB)])));
    expect(first.status).toBe(200);
    // No declared size: refused once the bytes held pass 3 MB.
    const streamed = openUpload(web, 'streamed.mp4', 2 * MB);
    streamed.req.end();
    expect(await streamed.done).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });

    await consume(web, [first.body.result.path as string], v.cookie());
    const after = await v.upload('after.mp4', new Uint8Array(Buffer.concat([MP4_HEAD, Buffer.alloc(2 * MB)])));
    expect(after.status).toBe(200);
    await consume(web, [after.body.result.path as string], v.cookie());
  });
});
