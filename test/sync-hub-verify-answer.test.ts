// What the desk takes from the hub's verification answer (core/sync/hub-verify.ts): the hub's word, shown as such
// in the report, but read only in the shape the hub gives it. An answer that is not one (a record or match without its
// desk, a verdict the hub never gives, a verdict naming no record) is a HubMiss saying so; it never throws, which cost
// the whole report, the desk's own verdict included, and never makes `custody verify` count the copy recognised.
import { createServer, type Server } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desk } from '../core/desk.ts';
import { sql } from '../core/store/db.ts';
import { photo } from './fixtures/photos.ts';
import { closeBoth, deskWithHub, signResized, type TestHub } from './helpers/sync-hub.ts';

let hub: TestHub;
let desk: Desk;
let dir: string;
let hostile: Server;
let answer: unknown;

beforeAll(async () => {
  ({ hub, desk, dir } = await deskWithHub('custody-sync-hub-verify-'));
  // A server on 127.0.0.1 answering /v1/verify with whatever the test sets: a hub that lies, or the path to it.
  hostile = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
}, 60_000);
afterAll(async () => {
  hostile.close();
  await closeBoth(desk, hub);
});

describe("the hub's verification answer", { timeout: 60_000 }, () => {
  let file: string;

  it("the real hub's answer is read as before", async () => {
    await signResized(desk, dir, 1);
    expect(await desk.hub.worker().pushOnce()).toMatchObject({ error: null });
    file = join(dir, 'out', readdirSync(join(dir, 'out'))[0]!);
    const report = await desk.verify(file);
    expect(report.hub).toMatchObject({ reached: true, verdict: 'authentic', record: { id: report.recordId, desk: { id: desk.hub.link!.deskId } }, otherDesk: false });
  });

  it.each([
    ['a record without its desk', { verdict: 'authentic', confidence: 1, record: { id: 'rec_x' } }, /record\.desk/],
    ['a match without its record', { verdict: 'unknown', confidence: 0, record: null, matches: [{ signal: 'phash', distance: 3 }] }, /matches\.0\.record/],
    ['a verdict the hub never gives', { verdict: 'published', confidence: 1, record: null }, /verdict/],
    ['a verdict that names no record', { verdict: 'authentic', confidence: 1, record: null }, /names no record/],
  ])('%s is no answer, and the desk keeps its own verdict', async (_what, body, reason) => {
    const url = desk.hub.link!.url;
    desk.store.run(sql`UPDATE hub_link SET url = ${`http://127.0.0.1:${(hostile.address() as { port: number }).port}`}`);
    try {
      answer = body;
      const report = await desk.verify(file);
      expect(report.verdict).toBe('authentic');
      expect(report.hub).toMatchObject({ reached: false, reason: expect.stringMatching(reason) });
    } finally {
      desk.store.run(sql`UPDATE hub_link SET url = ${url}`);
    }
  });
});

describe('an answer naming a record of this very desk', { timeout: 60_000 }, () => {
  it('is no answer when this desk never signed that record: the desk holds every record it signed', async () => {
    const unsigned = join(dir, 'unsigned.png');
    await sharp(photo('astronaut.png')).resize(300).png().toFile(unsigned);
    const own = desk.hub.link!;
    const summary = (id: string) => ({ id, org: own.org, desk: { id: own.deskId, name: own.deskName, revokedAt: null }, signedAt: '2026-12-01T00:00:00.000Z', receivedAt: '2026-12-01T00:00:01.000Z', kind: 'image', manifestId: null });
    desk.store.run(sql`UPDATE hub_link SET url = ${`http://127.0.0.1:${(hostile.address() as { port: number }).port}`}`);
    try {
      answer = { verdict: 'authentic', confidence: 1, record: summary('rec_01this0desk0never0signed0'), matches: [] };
      const report = await desk.verify(unsigned);
      expect(report.verdict).toBe('unknown');
      expect(report.hub).toMatchObject({ reached: false, reason: expect.stringMatching(/rec_01this0desk0never0signed0.*this desk never signed/) });
      // A record this desk did sign is still the hub's answer to show.
      const mine = desk.store.get<{ id: string }>(sql`SELECT id FROM records LIMIT 1`)!.id;
      answer = { verdict: 'derived', confidence: 0.9, record: summary(mine), matches: [] };
      expect((await desk.verify(unsigned)).hub).toMatchObject({ reached: true, verdict: 'derived', record: { id: mine }, otherDesk: false });
    } finally {
      desk.store.run(sql`UPDATE hub_link SET url = ${own.url}`);
    }
  });
});
