// A mark the desk matched rather than read, asked about at the hub: the desk says so (payloadMatched), and the hub's
// answer claims no bits for it, as the desk's own verdict does not: its watermark check says "matched", and its
// confidence is that of a reading at the largest distance taken, not of one at distance 0. A hub from before the field
// is asked by the copy's other fingerprints, never sent the matched payload as though it had been read.
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import type { VerifyReport } from '../core/provenance/checks.ts';
import { hubQueryOf } from '../core/sync/hub-verify.ts';
import { sql } from '../core/store/db.ts';
import { loadRaster, pngOf } from '../bench/watermark-attacks.ts';
import { photo } from './fixtures/photos.ts';
import { unreadableReshare } from './helpers/reshare.ts';
import { closeBoth, deskWithHub, type TestHub } from './helpers/sync-hub.ts';

let hub: TestHub;
let desk: Desk;
let dir: string;
let recordId: string;
let report: VerifyReport;
let copy: string;
let older: Server;
/** the bodies the older hub was sent, in order */
const sentToOlder: Record<string, unknown>[] = [];

beforeAll(async () => {
  ({ hub, desk, dir } = await deskWithHub('custody-sync-hub-matched-'));
  const receipt = await desk.sign(photo('camera.png'), { actor: desk.bootstrapActor()!, outDir: join(dir, 'out') });
  recordId = receipt.recordId;
  expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null });
  // shared twice (crop 10 %, halve, JPEG 70, then WebP 75): the mark is too faint to read blind
  copy = join(dir, 'reshared.png');
  writeFileSync(copy, await pngOf((await unreadableReshare(await loadRaster(receipt.output))).copy));
  report = await desk.verify(copy);

  // a hub from before payloadMatched: the real one behind a proxy that refuses the field as its schema would
  older = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      sentToOlder.push(body);
      if ('payloadMatched' in body) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'INVALID_ARGUMENT', message: 'expected a valid request: body: Unrecognized key: "payloadMatched"' }));
        return;
      }
      void fetch(`${hub.url}${req.url}`, { method: 'POST', headers: { authorization: req.headers.authorization!, 'content-type': 'application/json' }, body: JSON.stringify(body) })
        .then(async (r) => {
          res.writeHead(r.status, { 'content-type': 'application/json' });
          res.end(await r.text());
        });
    });
  });
  await new Promise<void>((r) => older.listen(0, '127.0.0.1', r));
}, 120_000);

afterAll(async () => {
  older?.close();
  await closeBoth(desk, hub);
});

describe('a watermark matched rather than read, at the hub', { timeout: 60_000 }, () => {
  it('the desk matched it, and tells the hub so', () => {
    expect(report.checks.watermark).toMatchObject({ status: 'pass', matched: true, recordId });
    expect(report.hub).toMatchObject({ reached: true, verdict: 'derived', record: { id: recordId }, sent: { payloadMatched: true, payload: report.checks.watermark.payload } });
    // the hub's watermark match says so too: its distance is between two payloads, not bits read
    expect(report.hub!.reached && report.hub!.matches.filter((m) => m.signal === 'watermark')).toEqual([{ signal: 'watermark', distance: 0, recordId, desk: 'photo desk', matched: true }]);
  });

  it('the hub claims no bits for it: its check says matched, and its confidence is a reading at 6 bits, not at 0', async () => {
    const client = desk.hub.client();
    const query = hubQueryOf(report)!;
    const asked = await client.request('POST', '/v1/verify', query);
    const { payloadMatched: _m, ...asRead } = query;
    const asIfRead = await client.request('POST', '/v1/verify', asRead);
    if (asked.kind === 'unreachable' || asIfRead.kind === 'unreachable') throw new Error('the hub was not reached');
    const checks = asked.body.checks as Record<string, Record<string, unknown>>;
    expect(checks.watermark).toMatchObject({ status: 'pass', matched: true, recordId, detail: expect.stringContaining('matched: too weak to read blind') });
    expect(checks.watermark!.distance).toBeUndefined();
    // the same payload given as read: 0 of 128 bits, and a higher confidence than the matched mark earns
    expect((asIfRead.body.checks as Record<string, Record<string, unknown>>).watermark).toMatchObject({ status: 'pass', distance: 0 });
    expect(asked.body.confidence as number).toBeLessThan(asIfRead.body.confidence as number);
    expect(report.hub).toMatchObject({ confidence: asked.body.confidence });
    // a matched payload without the payload is no query
    const bad = await client.request('POST', '/v1/verify', { phash: query.phash, payloadMatched: true });
    expect(bad).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('payloadMatched') } });
  });

  it('a hub from before the field is asked by the other fingerprints, not sent the matched payload as read', async () => {
    const url = desk.hub.link!.url;
    desk.store.run(sql`UPDATE hub_link SET url = ${`http://127.0.0.1:${(older.address() as { port: number }).port}`}`);
    let again: VerifyReport;
    try {
      again = await desk.verify(copy);
    } finally {
      desk.store.run(sql`UPDATE hub_link SET url = ${url}`);
    }
    const query = hubQueryOf(report)!;
    expect(sentToOlder).toHaveLength(2);
    expect(sentToOlder[0]).toMatchObject({ payload: query.payload, payloadMatched: true });
    expect(sentToOlder[1]).toEqual({ sha256: query.sha256, phash: query.phash });
    // traced by the pHash, the desk's own matching unchanged, and what was sent is what the report shows
    expect(again.checks.watermark).toMatchObject({ status: 'pass', matched: true, recordId });
    expect(again.hub).toMatchObject({ reached: true, verdict: 'derived', record: { id: recordId }, sent: { sha256: query.sha256, phash: query.phash } });
    expect(again.hub!.reached && again.hub!.sent.payload).toBeUndefined();
  });
});
