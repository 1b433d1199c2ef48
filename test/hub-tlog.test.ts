// The hub's transparency log end to end, on SQLite and on PostgreSQL: records and audit heads pushed over HTTP
// become leaves; checkpoints are signed with the hub's sealed key; every proof file served verifies with the pinned
// key alone; consistency proofs link checkpoints; a log rewritten in the database is never signed over; the key and
// the checkpoints survive a restart; the timer and the 1,000-leaf trigger both sign.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../core/tlog/checkpoint.ts';
import { CompactRange } from '../core/tlog/compact.ts';
import { leafBytes, recordLeafOf } from '../core/tlog/leaves.ts';
import { MemoryTree } from '../core/tlog/memory-tree.ts';
import { checkConsistency, leafHash } from '../core/tlog/merkle.ts';
import { parseVerifierKey, type NoteKey } from '../core/tlog/note.ts';
import { parseProofFile, verifyProofFile, type ProofFile } from '../core/tlog/proof-file.ts';
import type { HubRecord } from '../core/sync/hub-records.ts';
import { isCustodyError } from '../core/errors.ts';
import { initHub, startHub, type HubLocation, type InitResult, type RunningHub } from '../server/serve.ts';
import { tempDir } from './helpers/cli.ts';
import { TEST_SCRYPT } from './helpers/desk.ts';
import { call, type HubCall } from './helpers/hub-desk.ts';
import { postgresUnavailable, tempHubLocation, tempPostgresDatabase } from './helpers/postgres.ts';
import { deskKey, enrolKey, signedHead, signedRecord } from './helpers/tlog.ts';

const pgWhy = await postgresUnavailable();
if (pgWhy) console.warn(`hub tlog tests: skipping the PostgreSQL half: ${pgWhy}`);

const PASSPHRASE = 'hub vault passphrase for the tlog tests';
const HOUR = 3_600_000;

describe.each([['sqlite'], ['postgres']] as const)('transparency log on %s', (backend) => {
  let loc: HubLocation;
  let hub: RunningHub;
  let init: InitResult;
  let base: string;
  let pinned: NoteKey;
  let dropDb: (() => Promise<void>) | null = null;
  const desk = deskKey();
  let apiKey: string;
  let deskId: string;
  const pushed: HubRecord[] = [];
  const skip = backend === 'postgres' && !!pgWhy;

  const expectError = (r: HubCall, status: number, code: string) => expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
  const push = async (n: number) => {
    const records = Array.from({ length: n }, () => signedRecord(desk));
    const r = await call(base, 'POST', '/v1/records', { token: apiKey, json: { records } });
    expect(r.status).toBe(200);
    pushed.push(...records);
    return records;
  };
  const proofOf = async (path: string): Promise<ProofFile> => {
    const r = await call(base, 'GET', path, { token: apiKey });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return parseProofFile(JSON.stringify(r.body));
  };
  const start = (o: Parameters<typeof startHub>[1] = {}) => startHub(loc, { passphrase: PASSPHRASE, scrypt: TEST_SCRYPT, logName: 'hub.test/custody', checkpointIntervalMs: HOUR, rateLimits: { perKey: 100_000, perTenant: 100_000, perAddress: 100_000 }, ...o });

  beforeAll(async () => {
    if (skip) return;
    const t = await tempHubLocation(backend, 'custody-hub-tlog-');
    dropDb = t.drop;
    loc = t.location;
    init = await initHub(loc, { org: 'Daily Planet' });
    hub = await start();
    base = hub.url;
    ({ apiKey, deskId } = await enrolKey(base, init.adminKey, desk));
  });

  afterAll(async () => {
    await hub?.close();
    await dropDb?.();
  });

  describe.skipIf(skip)('checkpoints and proofs', () => {
    it('serves the verifier key, and answers PROOF_NOT_READY before a checkpoint covers a record', async () => {
      const k = await call(base, 'GET', '/v1/log/key');
      expect(k.status).toBe(200);
      pinned = parseVerifierKey(k.body.key as string);
      expect(pinned.name).toBe('hub.test/custody');
      const [r] = await push(3);
      expectError(await call(base, 'GET', `/v1/log/records/${r!.id}/proof`, { token: apiKey }), 409, 'PROOF_NOT_READY');
      expectError(await call(base, 'GET', '/v1/log/checkpoint', { token: apiKey }), 404, 'NOT_FOUND');
    });

    it('signs a checkpoint of the whole log, in the C2SP format, that opens with the pinned key', async () => {
      await push(30);
      const head = signedHead(desk, 7);
      const h = await call(base, 'POST', '/v1/audit-heads', { token: apiKey, json: head });
      expect(h.body).toMatchObject({ index: 33, status: 'accepted' });
      await push(4);
      const view = await hub.app.ctx.tlog.sign(init.tenant.id);
      expect(view!.size).toBe(38);
      const cp = await call(base, 'GET', '/v1/log/checkpoint', { token: apiKey });
      expect(cp.body).toMatchObject({ size: 38, origin: `hub.test/custody/${init.tenant.id}` });
      const opened = openCheckpoint(cp.body.note as string, pinned);
      expect(opened.size).toBe(38);
      expect(Buffer.from(opened.root).toString('base64')).toBe(cp.body.root);
      // Nothing new: no second checkpoint of the same size.
      expect(await hub.app.ctx.tlog.sign(init.tenant.id)).toBeNull();
    });

    it('serves a proof file for every record and for the audit head, each verified with the pinned key alone', async () => {
      for (const [i, r] of pushed.entries()) {
        const file = await proofOf(`/v1/log/records/${r.id}/proof`);
        const v = verifyProofFile(file, pinned, { expectLeaf: recordLeafOf(r) });
        expect(v.index).toBe(i < 33 ? i : i + 1);
        expect(v.chain).toBeNull();
      }
      const head = verifyProofFile(await proofOf('/v1/log/leaves/33/proof'), pinned);
      expect(head.leaf).toMatchObject({ type: 'audit-head', desk: deskId, seq: 7 });
    });

    it('proves against an older checkpoint and links checkpoints with consistency proofs', async () => {
      await push(25);
      await hub.app.ctx.tlog.sign(init.tenant.id);
      const old = verifyProofFile(await proofOf(`/v1/log/records/${pushed[2]!.id}/proof?size=38`), pinned);
      const now = verifyProofFile(await proofOf(`/v1/log/records/${pushed[2]!.id}/proof`), pinned);
      expect([old.checkpoint.size, now.checkpoint.size]).toEqual([38, 63]);
      const c = await call(base, 'GET', '/v1/log/consistency?from=38&to=63', { token: apiKey });
      expect(c.status).toBe(200);
      const hashes = (c.body.hashes as string[]).map((h) => new Uint8Array(Buffer.from(h, 'base64')));
      expect(() => checkConsistency(38, 63, hashes, old.checkpoint.root, now.checkpoint.root)).not.toThrow();
      expect(() => checkConsistency(38, 63, hashes.slice(1), old.checkpoint.root, now.checkpoint.root)).toThrow();
      expectError(await call(base, 'GET', '/v1/log/consistency?from=37&to=63', { token: apiKey }), 404, 'NOT_FOUND');
      expectError(await call(base, 'GET', `/v1/log/records/${pushed[50]!.id}/proof?size=38`, { token: apiKey }), 400, 'INVALID_ARGUMENT');
    });

    it('guards the routes with the verify scope and keeps organisations apart', async () => {
      expectError(await call(base, 'GET', '/v1/log/checkpoint'), 401, 'NOT_AUTHENTICATED');
      expectError(await call(base, 'GET', '/v1/log/checkpoint', { token: init.adminKey }), 403, 'NOT_PERMITTED');
      const other = await initHub(loc, { org: 'Other Org' });
      const verifyKey = await call(base, 'POST', `/v1/tenants/${other.tenant.id}/api-keys`, { token: other.adminKey, json: { label: 'v', scopes: ['verify'] } });
      const token = verifyKey.body.token as string;
      expectError(await call(base, 'GET', `/v1/log/records/${pushed[0]!.id}/proof`, { token }), 404, 'NOT_FOUND');
      expectError(await call(base, 'POST', '/v1/audit-heads', { token, json: signedHead(desk, 99) }), 403, 'NOT_PERMITTED');
    });
  });

  describe.skipIf(skip)('audit heads', () => {
    it('answers a replay with the same leaf, and refuses a rewritten, an older, a forged or a foreign head', async () => {
      const head = signedHead(desk, 100);
      const a = await call(base, 'POST', '/v1/audit-heads', { token: apiKey, json: head });
      expect(a.body.status).toBe('accepted');
      const b = await call(base, 'POST', '/v1/audit-heads', { token: apiKey, json: head });
      expect(b.body).toEqual({ ...a.body, status: 'replayed' });
      expectError(await call(base, 'POST', '/v1/audit-heads', { token: apiKey, json: signedHead(desk, 100) }), 409, 'RECORD_CONFLICT');
      expectError(await call(base, 'POST', '/v1/audit-heads', { token: apiKey, json: signedHead(desk, 99) }), 400, 'INVALID_ARGUMENT');
      const forged = { ...signedHead(desk, 101), hash: 'ab'.repeat(32) };
      expectError(await call(base, 'POST', '/v1/audit-heads', { token: apiKey, json: forged }), 422, 'SIGNATURE_INVALID');
      expectError(await call(base, 'POST', '/v1/audit-heads', { token: apiKey, json: signedHead(deskKey(), 102) }), 403, 'NOT_PERMITTED');
      expectError(await call(base, 'POST', '/v1/audit-heads', { token: apiKey, json: { seq: 0, hash: 'x' } }), 400, 'INVALID_ARGUMENT');
    });
  });

  describe.skipIf(skip)('restarts', () => {
    it('keeps the key and the checkpoints across a restart, and refuses a wrong passphrase', async () => {
      const key = (await call(base, 'GET', '/v1/log/key')).body.key;
      const latest = await hub.app.ctx.tlog.latest(init.tenant.id);
      await hub.close();
      await expect(start({ passphrase: 'not the hub passphrase at all' })).rejects.toMatchObject({ code: 'KEY_LOCKED' });
      hub = await start({ logName: 'another.name' });
      base = hub.url;
      expect((await call(base, 'GET', '/v1/log/key')).body.key).toBe(key);
      expect(await hub.app.ctx.tlog.latest(init.tenant.id)).toEqual(latest);
      verifyProofFile(await proofOf(`/v1/log/records/${pushed[1]!.id}/proof`), pinned);
    });

    it('a hub started without its passphrase keeps the log growing but signs nothing', async () => {
      await hub.close();
      hub = await startHub(loc, { rateLimits: { perKey: 100_000, perTenant: 100_000 } });
      base = hub.url;
      expectError(await call(base, 'GET', '/v1/log/key'), 409, 'NOT_INITIALIZED');
      const before = (await hub.hub.db.selectFrom('tlog_logs').select('size').executeTakeFirstOrThrow()).size;
      await push(2);
      expect((await hub.hub.db.selectFrom('tlog_logs').select('size').where('tenant_id', '=', init.tenant.id).executeTakeFirstOrThrow()).size).toBe(before + 2);
      await hub.close();
      hub = await start();
      base = hub.url;
    });
  });
  describe.skipIf(skip)('what the database cannot make the hub sign or serve', () => {
    it('refuses to serve a proof for a record whose stored body was changed', async () => {
      const r = pushed[5]!;
      const db = hub.hub.db;
      const row = await db.selectFrom('records').select('body').where('id', '=', r.id).executeTakeFirstOrThrow();
      await db.updateTable('records').set({ body: row.body.replace(r.sha256, 'f'.repeat(64)) }).where('id', '=', r.id).execute();
      expectError(await call(base, 'GET', `/v1/log/records/${r.id}/proof`, { token: apiKey }), 409, 'INTEGRITY_FAILED');
      await db.updateTable('records').set({ body: row.body }).where('id', '=', r.id).execute();
    });

    it('never signs over a log rewritten in the database, even rewritten consistently', async () => {
      const db = hub.hub.db;
      const t = init.tenant.id;
      await push(1);
      const before = (await hub.app.ctx.tlog.sign(t))!;
      // The attacker replaces leaf 3 and rebuilds the leaves, the stored subtrees and the edge so they agree.
      const leaves: Uint8Array[] = (await db.selectFrom('tlog_leaves').select(['idx', 'leaf_hash']).where('tenant_id', '=', t).orderBy('idx').execute()).map((l) => new Uint8Array(l.leaf_hash));
      leaves[3] = leafHash(new TextEncoder().encode('a record that was never pushed'));
      const edge = CompactRange.empty();
      const nodes: { level: number; idx: number; hash: Uint8Array }[] = [];
      for (const h of leaves) edge.append(h, (id, hash) => id.level > 0 && id.level % 8 === 0 && nodes.push({ level: id.level, idx: id.index, hash }));
      await db.updateTable('tlog_leaves').set({ leaf_hash: leaves[3] }).where('tenant_id', '=', t).where('idx', '=', 3).execute();
      for (const n of nodes) await db.updateTable('tlog_nodes').set({ hash: n.hash }).where('tenant_id', '=', t).where('level', '=', n.level).where('idx', '=', n.idx).execute();
      await db.updateTable('tlog_logs').set({ edge: edge.toBytes() }).where('tenant_id', '=', t).execute();
      await push(1);
      const err = await hub.app.ctx.tlog.sign(t).catch((e: unknown) => e);
      expect(isCustodyError(err, 'LOG_INCONSISTENT'), String(err)).toBe(true);
      expect((await hub.app.ctx.tlog.latest(t))!.size).toBe(before.size);
      // Operators see it: the refusal is counted beside the checkpoints signed.
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/hub_tlog_checkpoints_total\{outcome="LOG_INCONSISTENT"\} 1/);
      expect(metrics).toMatch(/hub_tlog_checkpoints_total\{outcome="signed"\} [1-9]/);
      // Nor serves a proof through the rewritten part: it would not lead to the signed root.
      expectError(await call(base, 'GET', `/v1/log/records/${pushed[2]!.id}/proof`, { token: apiKey }), 409, 'INTEGRITY_FAILED');
    });
  });

});

describe('checkpoint triggers (SQLite)', () => {
  it('signs on the timer, and at once when enough leaves wait', async () => {
    const loc = { database: null, dataDir: tempDir('custody-hub-tlog-timer-') };
    const init = await initHub(loc, { org: 'Timer Org' });
    const desk = deskKey();
    const hub = await startHub(loc, { passphrase: PASSPHRASE, scrypt: TEST_SCRYPT, checkpointIntervalMs: 300, maxUnsigned: 1000 });
    try {
      const { apiKey } = await enrolKey(hub.url, init.adminKey, desk);
      const r = signedRecord(desk);
      const t0 = Date.now();
      await call(hub.url, 'POST', '/v1/records', { token: apiKey, json: { records: [r] } });
      let res: HubCall;
      do {
        await new Promise((ok) => setTimeout(ok, 50));
        res = await call(hub.url, 'GET', `/v1/log/records/${r.id}/proof`, { token: apiKey });
      } while (res.status === 409 && Date.now() - t0 < 5000);
      expect(res.status).toBe(200);
    } finally {
      await hub.close();
    }
    const eager = await startHub(loc, { passphrase: PASSPHRASE, scrypt: TEST_SCRYPT, checkpointIntervalMs: HOUR, maxUnsigned: 5 });
    try {
      const { apiKey } = await enrolKey(eager.url, init.adminKey, desk, 'second desk').catch(() => ({ apiKey: '' }));
      expect(apiKey).toBe(''); // the key is enrolled already: one desk per key on the hub
      const key2 = deskKey();
      const { apiKey: k2 } = await enrolKey(eager.url, init.adminKey, key2, 'second desk');
      const before = (await eager.app.ctx.tlog.latest(init.tenant.id))!.size;
      await call(eager.url, 'POST', '/v1/records', { token: k2, json: { records: Array.from({ length: 5 }, () => signedRecord(key2)) } });
      const t0 = Date.now();
      while ((await eager.app.ctx.tlog.latest(init.tenant.id))!.size === before && Date.now() - t0 < 5000) await new Promise((ok) => setTimeout(ok, 20));
      expect((await eager.app.ctx.tlog.latest(init.tenant.id))!.size).toBe(before + 5);
    } finally {
      await eager.close();
    }
  });
});

describe('a hub upgraded from before the log (SQLite)', () => {
  it('appends the records it already held, in tenant_seq order, once, at start', async () => {
    const loc = { database: null, dataDir: tempDir('custody-hub-tlog-upgrade-') };
    const init = await initHub(loc, { org: 'Upgrade Org' });
    const desk = deskKey();
    let hub = await startHub(loc);
    const { apiKey } = await enrolKey(hub.url, init.adminKey, desk);
    const records = Array.from({ length: 1500 }, () => signedRecord(desk));
    for (let i = 0; i < records.length; i += 500) await call(hub.url, 'POST', '/v1/records', { token: apiKey, json: { records: records.slice(i, i + 500) } });
    // As if migration 0002 came after these records: no leaves, no subtrees, no edge.
    for (const t of ['tlog_leaves', 'tlog_nodes', 'tlog_logs'] as const) await hub.hub.db.deleteFrom(t).execute();
    await hub.close();
    hub = await startHub(loc, { passphrase: PASSPHRASE, scrypt: TEST_SCRYPT, checkpointIntervalMs: HOUR });
    try {
      const cp = (await hub.app.ctx.tlog.sign(init.tenant.id))!;
      const expected = MemoryTree.of(records.map((r) => leafBytes(recordLeafOf(r))));
      expect(cp.size).toBe(1500);
      expect(cp.root).toBe(Buffer.from(expected.root()).toString('base64'));
      expect(await hub.app.ctx.tlog.catchUp()).toBe(0);
    } finally {
      await hub.close();
    }
  });
});

describe.skipIf(!!pgWhy)('two hub processes on one PostgreSQL', () => {
  it('create one vault and one checkpoint key between them, and never sign two checkpoints that disagree', async () => {
    const d = await tempPostgresDatabase();
    const loc = { database: d.url, dataDir: tempDir('custody-hub-tlog-two-') };
    const init = await initHub(loc, { org: 'Two Hubs' });
    const o = { passphrase: PASSPHRASE, scrypt: TEST_SCRYPT, checkpointIntervalMs: HOUR, rateLimits: { perKey: 100_000, perTenant: 100_000, perAddress: 100_000 } };
    const [a, b] = await Promise.all([startHub(loc, o), startHub(loc, o)]);
    try {
      expect(a.app.ctx.tlog.verifierKey()).toBe(b.app.ctx.tlog.verifierKey());
      const desk = deskKey();
      const { apiKey } = await enrolKey(a.url, init.adminKey, desk);
      const t = init.tenant.id;
      for (let round = 0; round < 8; round++) {
        await Promise.all([a, b].map((h) => call(h.url, 'POST', '/v1/records', { token: apiKey, json: { records: Array.from({ length: 7 }, () => signedRecord(desk)) } })));
        await Promise.all([a.app.ctx.tlog.sign(t), b.app.ctx.tlog.sign(t), a.app.ctx.tlog.sign(t)]);
      }
      const rows = await a.hub.db.selectFrom('tlog_checkpoints').select(['size', 'root']).where('tenant_id', '=', t).orderBy('size').execute();
      expect(rows.at(-1)!.size).toBe(8 * 14);
      const key = parseVerifierKey(a.app.ctx.tlog.verifierKey()!);
      for (let i = 1; i < rows.length; i++) {
        const c = await call(b.url, 'GET', `/v1/log/consistency?from=${rows[i - 1]!.size}&to=${rows[i]!.size}`, { token: apiKey });
        const hashes = (c.body.hashes as string[]).map((h) => new Uint8Array(Buffer.from(h, 'base64')));
        expect(() => checkConsistency(rows[i - 1]!.size, rows[i]!.size, hashes, new Uint8Array(rows[i - 1]!.root), new Uint8Array(rows[i]!.root))).not.toThrow();
      }
      const cp = await call(a.url, 'GET', '/v1/log/checkpoint', { token: apiKey });
      expect(openCheckpoint(cp.body.note as string, key).size).toBe(8 * 14);
    } finally {
      await a.close();
      await b.close();
      await d.drop();
    }
  });
});

