// npm run bench:anchor — the transparency log's figures (issue 16), and the chain's (bench/anchor-chain.ts):
//   leaves/s appended to a tenant's stored log (server/tlog/log-store.ts appendLeaves: leaf rows, level-8k subtrees,
//   the edge; batches of 1,000 in one transaction each) on SQLite and PostgreSQL; records/s ingested over HTTP with
//   the log on; a 10 M-leaf log built in SQLite (bulk rows written as appendLeaves writes them) and then, at that size,
//   the time to sign a checkpoint, to compute an inclusion proof from the database (p50/p99 over random leaves), to
//   serve a record's whole proof file over HTTP, and the proof's size; and the delay from a record's ingest to its
//   proof being served, with a 10 s checkpoint interval.
//   On `hardhat node`: gas per batch and per record (1,000-leaf batches), and the delay from ingest to an anchored proof.
// Options: --leaves=10000000 --append=200000 --ingest=10000 --proofs=200 --delays=5 --interval=10 --batches=20
//   --parts=rates,scale,delay,chain (which parts run; default all); --quick = --leaves=300000 --append=20000
//   --ingest=2000 --proofs=100 --delays=2 --batches=5
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { generateKeyPair } from '../core/crypto/ed25519.ts';
import { CompactRange } from '../core/tlog/compact.ts';
import { inclusionProof, leafHash } from '../core/tlog/merkle.ts';
import { noteKeyOf } from '../core/tlog/note.ts';
import { parseProofFile, verifyProofFile } from '../core/tlog/proof-file.ts';
import { parseTlogProof } from '../core/tlog/tlog-proof.ts';
import { openHubDatabase, SQLITE_FILE, type HubDatabase } from '../server/db/connect.ts';
import { buildHubApp } from '../server/http/app.ts';
import { appendLeaves, DbNodeReader, STRIDE } from '../server/tlog/log-store.ts';
import { tempDir } from '../test/helpers/cli.ts';
import { postgresUnavailable, tempPostgresDatabase } from '../test/helpers/postgres.ts';
import { chainFigures } from './anchor-chain.ts';
import { enrolledDesk, signedRecords, type BenchDesk } from './hub-load.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string?]).map(([k, v]) => [k, v ?? '1']));
const quick = args.has('quick');
const num = (k: string, quickV: number, fullV: number) => Number(args.get(k) ?? (quick ? quickV : fullV));
const LEAVES = num('leaves', 300_000, 10_000_000);
const APPEND = num('append', 20_000, 200_000);
const INGEST = num('ingest', 2000, 10_000);
const PROOFS = num('proofs', 100, 200);
const DELAYS = num('delays', 2, 5);
const INTERVAL_S = num('interval', 10, 10);
const BATCHES = num('batches', 5, 20);
const PARTS = new Set((args.get('parts') ?? 'rates,scale,delay,chain').split(','));

const rows: string[][] = [];
const row = (...cells: string[]) => {
  rows.push(cells);
  console.log(cells.join('  |  '));
};
const now = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (n: number) => n.toLocaleString('en-US');
const logKey = (() => {
  const k = generateKeyPair();
  return { key: noteKeyOf('bench.custody/hub', k.publicKey), secretKey: k.secretKey };
})();

/** Leaves/s through appendLeaves, batches of 1,000, each batch its own transaction (as ingest appends). */
async function appendRate(name: string, hub: HubDatabase): Promise<void> {
  const desk = await enrolledDesk(hub.db, `append ${name}`);
  const batch = 1000;
  const t = now();
  for (let i = 0; i < APPEND; i += batch) {
    const leaves = Array.from({ length: Math.min(batch, APPEND - i) }, (_x, j) => ({ kind: 'record' as const, ref: `a${i + j}`, hash: leafHash(Buffer.from(`leaf ${i + j}`)) }));
    await hub.db.transaction().execute((trx) => appendLeaves(trx, desk.tenantId, leaves, new Date().toISOString()));
  }
  const s = (now() - t) / 1000;
  row(`append into ${name}`, `${fmt(Math.round(APPEND / s))} leaves/s`, `${fmt(APPEND)} leaves, batches of ${batch}, one transaction each`);
}

/** Records/s over HTTP with the log appended in the ingest transaction (compare bench:hub's ingest figure). */
async function ingestRate(name: string, hub: HubDatabase): Promise<void> {
  const app = await buildHubApp({ hub, logKey, checkpointIntervalMs: 3_600_000, maxUnsigned: 1_000_000, rateLimits: { perKey: 1e9, perTenant: 1e9 } });
  try {
    await app.loadIndex();
    const address = await app.app.listen({ port: 0, host: '127.0.0.1' });
    const desk = await enrolledDesk(hub.db, `ingest ${name}`);
    const records = signedRecords(desk, INGEST);
    const t = now();
    for (let i = 0; i < INGEST; i += 500) {
      const r = await fetch(`${address}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${desk.apiKey}` }, body: JSON.stringify({ records: records.slice(i, i + 500) }) });
      if (r.status !== 200) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
    }
    const s = (now() - t) / 1000;
    row(`ingest into ${name}, log on`, `${fmt(Math.round(INGEST / s))} records/s`, `${fmt(INGEST)} records over HTTP in batches of 500, signatures verified, each a leaf`);
  } finally {
    await app.app.close();
  }
}

/**
 * A log of `n` leaves written straight into the SQLite file, row for row what appendLeaves writes (leaves, level-8k
 * subtrees, the edge), through one prepared statement per table: appendLeaves through Kysely would take an hour.
 */
function bulkLog(file: string, tenantId: string, n: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const leafStmt = db.prepare('INSERT INTO tlog_leaves (tenant_id, idx, kind, ref, leaf_hash, appended_at) VALUES (?, ?, ?, ?, ?, ?)');
  const nodeStmt = db.prepare('INSERT INTO tlog_nodes (tenant_id, level, idx, hash) VALUES (?, ?, ?, ?)');
  const edge = CompactRange.empty();
  const at = new Date().toISOString();
  const chunk = 200_000;
  const idx = Buffer.alloc(8);
  for (let start = 0; start < n; start += chunk) {
    db.transaction(() => {
      for (let i = start; i < Math.min(n, start + chunk); i++) {
        idx.writeBigUInt64BE(BigInt(i));
        const h = leafHash(idx);
        leafStmt.run(tenantId, i, 'audit-head', `bulk:${i}`, h, at);
        edge.append(h, (id, hash) => {
          if (id.level > 0 && id.level % STRIDE === 0) nodeStmt.run(tenantId, id.level, id.index, hash);
        });
      }
    })();
    if ((start / chunk) % 10 === 9) process.stderr.write(`  bulk: ${fmt(start + chunk)} leaves\n`);
  }
  db.prepare('INSERT INTO tlog_logs (tenant_id, size, edge, updated_at) VALUES (?, ?, ?, ?)').run(tenantId, edge.size, edge.toBytes(), at);
  db.close();
}

async function atScale(): Promise<void> {
  const dir = tempDir('custody-bench-anchor-');
  const hub = await openHubDatabase({ dataDir: dir });
  const desk: BenchDesk = await enrolledDesk(hub.db, 'scale');
  let t = now();
  bulkLog(join(dir, SQLITE_FILE), desk.tenantId, LEAVES);
  row(`build a ${fmt(LEAVES)}-leaf log (SQLite, bulk)`, `${((now() - t) / 1000).toFixed(1)} s`, 'leaf hashes, subtrees every 8 levels, the edge');

  // No leaf-count trigger: the checkpoints below are signed (and timed) here.
  const app = await buildHubApp({ hub, logKey, checkpointIntervalMs: 3_600_000, maxUnsigned: Number.MAX_SAFE_INTEGER, rateLimits: { perKey: 1e9, perTenant: 1e9 } });
  try {
    await app.loadIndex();
    const address = await app.app.listen({ port: 0, host: '127.0.0.1' });
    // One real record on top, through ingest: its proof file is the whole path a desk takes.
    const [record] = signedRecords(desk, 1);
    const ing = await fetch(`${address}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${desk.apiKey}` }, body: JSON.stringify({ records: [record] }) });
    if (ing.status !== 200) throw new Error(`ingest answered ${ing.status}`);
    t = now();
    const cp = await app.ctx.tlog.sign(desk.tenantId);
    row(`sign a checkpoint at ${fmt(cp!.size)} leaves`, `${(now() - t).toFixed(1)} ms`, 'root from the edge, checked against the stored subtrees, Ed25519');
    const extend = await fetch(`${address}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${desk.apiKey}` }, body: JSON.stringify({ records: signedRecords(desk, 1) }) });
    if (extend.status !== 200) throw new Error('ingest failed');
    t = now();
    await app.ctx.tlog.sign(desk.tenantId);
    row(`sign the next checkpoint (+1 leaf)`, `${(now() - t).toFixed(1)} ms`, 'with the consistency check against the previous one');

    const size = cp!.size;
    const reader = new DbNodeReader(hub.db, desk.tenantId);
    const times: number[] = [];
    let pathLength = 0;
    for (let i = 0; i < PROOFS; i++) {
      const index = Math.floor(Math.random() * size);
      const t0 = now();
      pathLength += (await inclusionProof(reader, index, size)).length;
      times.push(now() - t0);
    }
    row(`inclusion proof from the database at ${fmt(size)} leaves`, `p50 ${pct(times, 50).toFixed(2)} ms, p99 ${pct(times, 99).toFixed(2)} ms`, `${PROOFS} random leaves, ${(pathLength / PROOFS).toFixed(1)} hashes on average`);

    const http: number[] = [];
    let bytes = 0;
    let hashes = 0;
    for (let i = 0; i < 20; i++) {
      const t0 = now();
      const r = await fetch(`${address}/v1/log/records/${record!.id}/proof?size=${size}`, { headers: { authorization: `Bearer ${desk.apiKey}` } });
      const text = await r.text();
      http.push(now() - t0);
      if (r.status !== 200) throw new Error(`proof answered ${r.status}: ${text}`);
      bytes = text.length;
      const file = parseProofFile(text);
      if (verifyProofFile(file, logKey.key).checkpoint.size !== size) throw new Error('proof against another checkpoint');
      hashes = parseTlogProof(file.proof).hashes.length;
    }
    row(`a record's proof file over HTTP at ${fmt(size)} leaves`, `p50 ${pct(http, 50).toFixed(2)} ms`, '20 requests; the file verified with the hub key');
    row('proof file size', `${fmt(bytes)} bytes of JSON, ${hashes} inclusion hashes`, 'the newest leaf; leaf, leaf hash, record body, tlog-proof text with the signed checkpoint; +45 bytes a hash');
  } finally {
    await app.app.close();
    await hub.close();
  }
}

/** From a record's ingest to its proof being served, with the hub's timer signing every INTERVAL_S seconds. */
async function delay(): Promise<void> {
  const hub = await openHubDatabase({ dataDir: tempDir('custody-bench-anchor-delay-') });
  const app = await buildHubApp({ hub, logKey, checkpointIntervalMs: INTERVAL_S * 1000, rateLimits: { perKey: 1e9, perTenant: 1e9 } });
  try {
    await app.loadIndex();
    const address = await app.app.listen({ port: 0, host: '127.0.0.1' });
    const desk = await enrolledDesk(hub.db, 'delay');
    const delays: number[] = [];
    for (let i = 0; i < DELAYS; i++) {
      await new Promise((ok) => setTimeout(ok, Math.random() * 3000));
      const [record] = signedRecords(desk, 1);
      const t0 = now();
      await fetch(`${address}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${desk.apiKey}` }, body: JSON.stringify({ records: [record] }) });
      for (;;) {
        const r = await fetch(`${address}/v1/log/records/${record!.id}/proof`, { headers: { authorization: `Bearer ${desk.apiKey}` } });
        if (r.status === 200) break;
        if (r.status !== 409) throw new Error(`proof answered ${r.status}`);
        await new Promise((ok) => setTimeout(ok, 100));
      }
      delays.push((now() - t0) / 1000);
    }
    row(`ingest → proof available, ${INTERVAL_S} s interval`, `max ${Math.max(...delays).toFixed(1)} s, mean ${(delays.reduce((a, b) => a + b, 0) / delays.length).toFixed(1)} s`, `${DELAYS} records at random moments, polled every 100 ms`);
  } finally {
    await app.app.close();
    await hub.close();
  }
}

async function rates(): Promise<void> {
  const sqlite = await openHubDatabase({ dataDir: tempDir('custody-bench-anchor-append-') });
  await appendRate('SQLite', sqlite);
  await ingestRate('SQLite', sqlite);
  await sqlite.close();
  const why = await postgresUnavailable().catch((e: Error) => e.message);
  if (why) {
    row('append into PostgreSQL', `skipped: ${why}`);
    return;
  }
  const d = await tempPostgresDatabase();
  const pg = await openHubDatabase({ database: d.url });
  try {
    await appendRate('PostgreSQL', pg);
    await ingestRate('PostgreSQL', pg);
  } finally {
    await pg.close();
    await d.drop();
  }
}

if (PARTS.has('rates')) await rates();
if (PARTS.has('scale')) await atScale();
if (PARTS.has('delay')) await delay();
if (PARTS.has('chain')) await chainFigures(row, { batches: BATCHES, delays: DELAYS, intervalS: INTERVAL_S });

console.log('\nsummary');
for (const r of rows) console.log(`  ${r[0]!.padEnd(52)} ${r[1]!.padEnd(36)} ${r[2] ?? ''}`);
