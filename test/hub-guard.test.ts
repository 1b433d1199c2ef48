// Who may call is settled before a body is read: every route that declares `security` refuses a request without a
// valid credential at once (a body that is not JSON, or one still on its way, still gets 401), credentials the hub
// refuses are counted per address until 429, and batches are counted before any item is validated.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolledDesk, type BenchDesk } from '../bench/hub-load.ts';
import { MAX_INGEST_BATCH } from '../server/ingest/ingest.ts';
import { initHub, startHub, type RunningHub } from '../server/serve.ts';
import { MAX_BATCH_QUERIES, MAX_QUERY_SEGMENTS } from '../server/verify/service.ts';
import { tempDir } from './helpers/cli.ts';
import { call } from './helpers/hub-desk.ts';

const UNKNOWN_KEY = `chk_${'A'.repeat(12)}_${'B'.repeat(43)}`;

/**
 * Sends the headers of a `declared`-byte POST and only its first 64 KB, then waits for an answer: one that comes
 * was given without the body. 'no answer' after `waitMs` means the server is waiting for the rest of it.
 */
function answerWithoutBody(url: string, path: string, declared: number, headers: Record<string, string>, waitMs = 10_000): Promise<{ status: number; body: string } | 'no answer'> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(declared), ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve('no answer');
    }, waitMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.write(`{"records":[${' '.repeat(64 * 1024)}`);
  });
}

describe('hub: the caller is checked before the body is read', () => {
  let hub: RunningHub;
  let desk: BenchDesk;

  beforeAll(async () => {
    const dir = tempDir('custody-hub-guard-');
    await initHub({ database: null, dataDir: dir }, { org: 'Daily Planet' });
    hub = await startHub({ database: null, dataDir: dir }, { rateLimits: { perKey: 10_000, perTenant: 10_000, perAddress: 5 } });
    desk = await enrolledDesk(hub.hub.db, 'Other Paper');
  });
  afterAll(() => hub?.close());

  it.each([
    ['no credentials', {}],
    ['an unknown API key', { authorization: `Bearer ${UNKNOWN_KEY}` }],
  ])('answers a 60 MB ingest with %s 401 while its body is still on its way', async (_name, headers) => {
    const r = await answerWithoutBody(hub.url, '/v1/records', 60 * 1024 * 1024, headers);
    expect(r).not.toBe('no answer');
    const { status, body } = r as { status: number; body: string };
    expect({ status, code: (JSON.parse(body) as { code: string }).code }).toEqual({ status: 401, code: 'NOT_AUTHENTICATED' });
  });

  it('answers 401, not 400, to a body that is not JSON on every route that declares security', async () => {
    const doc = (await call(hub.url, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const guarded = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).filter(([, op]) => op.security?.length).map(([method]) => [method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'x')] as const));
    expect(guarded.length).toBeGreaterThan(20);
    const answers: string[] = [];
    for (const [method, path] of guarded) {
      const res = await fetch(`${hub.url}${path}`, { method, ...(method === 'GET' ? {} : { headers: { 'content-type': 'application/json' }, body: '{"records": [' }) });
      answers.push(`${method} ${path} ${res.status} ${((await res.json()) as { code: string }).code}`);
    }
    expect(answers).toEqual(guarded.map(([method, path]) => `${method} ${path} 401 NOT_AUTHENTICATED`));
  });

  it('counts credentials it refuses against the address: past its limit, 429 with Retry-After', async () => {
    const answers: string[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const r = await call(hub.url, 'POST', '/v1/verify', { token: UNKNOWN_KEY, json: { phash: '0000000000000000' } });
      answers.push(`${r.status} ${r.body.code as string}`);
      retryAfter = r.headers.get('retry-after');
    }
    // The earlier test's unknown key was the first refusal of this address in the window.
    expect(answers).toEqual([...Array(4).fill('401 NOT_AUTHENTICATED'), ...Array(3).fill('429 RATE_LIMITED')]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // A valid key from the same address is still served.
    expect((await call(hub.url, 'POST', '/v1/verify', { token: desk.apiKey, json: { phash: '0000000000000000' } })).status).toBe(200);
  });

  it('counts a batch before validating its items: too many is BATCH_TOO_LARGE even when every item is malformed', async () => {
    const junk = Array.from({ length: MAX_INGEST_BATCH + 1 }, () => ({ nothing: true }));
    const records = await call(hub.url, 'POST', '/v1/records', { token: desk.apiKey, json: { records: junk } });
    expect([records.status, records.body.code]).toEqual([413, 'BATCH_TOO_LARGE']);
    const queries = await call(hub.url, 'POST', '/v1/verify/batch', { token: desk.apiKey, json: { queries: junk } });
    expect([queries.status, queries.body.code]).toEqual([413, 'BATCH_TOO_LARGE']);
    const segments = await call(hub.url, 'POST', '/v1/verify', { token: desk.apiKey, json: { segments: Array(4097).fill('not hex') } });
    expect([segments.status, segments.body.code]).toEqual([413, 'BATCH_TOO_LARGE']);
    const inBatch = await call(hub.url, 'POST', '/v1/verify/batch', { token: desk.apiKey, json: { queries: [{ segments: Array(4097).fill('not hex') }] } });
    expect([inBatch.status, inBatch.body.code]).toEqual([413, 'BATCH_TOO_LARGE']);
  });

  it('declares the batch limits in the OpenAPI document', async () => {
    type Props = { properties: Record<string, { maxItems?: number }> };
    type Doc = { paths: Record<string, { post: { requestBody: { content: { 'application/json': { schema: Props } } } } }>; components: { schemas: Record<string, Props> } };
    const doc = (await call(hub.url, 'GET', '/openapi.json')).body as Doc;
    const maxItems = (path: string, field: string) => doc.paths[path]!.post.requestBody.content['application/json'].schema.properties[field]!.maxItems;
    expect([maxItems('/v1/records', 'records'), maxItems('/v1/verify/batch', 'queries'), doc.components.schemas['VerifyQuery']!.properties['segments']!.maxItems])
      .toEqual([MAX_INGEST_BATCH, MAX_BATCH_QUERIES, MAX_QUERY_SEGMENTS]);
  });

  it('holds an image body sent to a JSON route without an account to the 1 MiB limit', async () => {
    const res = await fetch(`${hub.url}/v1/enrol`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(2 * 1024 * 1024) });
    expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([413, 'REQUEST_TOO_LARGE']);
  });

  it('refuses an ingest body larger than the largest batch a desk sends, even from a valid key', async () => {
    const body = `{"records":[]${' '.repeat(20 * 1024 * 1024)}}`;
    const res = await fetch(`${hub.url}/v1/records`, { method: 'POST', headers: { authorization: `Bearer ${desk.apiKey}`, 'content-type': 'application/json' }, body });
    expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([413, 'REQUEST_TOO_LARGE']);
  });
});
