// npm run bench:hub — the hub's figures side by side (issue 15):
//   pHash radius-10 lookups in one tenant at each size (default 1 M and 10 M codes): multi-index hashing, brute force,
//   and the 4-hex-prefix filter with the share of true matches it loses; watermark-payload radius-6 lookups at the
//   largest size; RSS of this process once both indexes hold the largest size; HTTP queries/s on loopback through
//   POST /v1/verify (autocannon) at the smallest size; ingest records/s into SQLite and PostgreSQL (HTTP, batches of
//   500, every signature verified); rebuilding a tenant's index from the database.
// Options (all optional): --sizes=1000000,10000000 --queries=2000 --brute=30 --http-seconds=10 --ingest=20000
//   --ingest-clients=1,2 (ingest runs once per count of concurrent clients) --rebuild=1000000
//   --parts=lookups,http,db (some of: the in-process lookups and memory, HTTP verify, ingest and rebuild); --quick = --sizes=100000,1000000 --queries=500 --brute=20 --http-seconds=3 --ingest=2000 --rebuild=100000
import { availableParallelism, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { tempDir } from '../test/helpers/cli.ts';
import { postgresUnavailable, tempPostgresDatabase } from '../test/helpers/postgres.ts';
import { HammingIndex, type Hit } from '../server/index/mih.ts';
import { openHubDatabase, type HubDatabase } from '../server/db/connect.ts';
import { buildHubApp } from '../server/http/app.ts';
import { cpuProbe, enrolledDesk, hexOf, queriesNear, randomCodes, signedRecords } from './hub-load.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string?]).map(([k, v]) => [k, v ?? '1']));
const quick = args.has('quick');
const num = (k: string, quickV: number, fullV: number) => Number(args.get(k) ?? (quick ? quickV : fullV));
const SIZES = (args.get('sizes') ?? (quick ? '100000,1000000' : '1000000,10000000')).split(',').map(Number);
const QUERIES = num('queries', 500, 2000);
const BRUTE = num('brute', 20, 30);
const HTTP_SECONDS = num('http-seconds', 3, 10);
const INGEST = num('ingest', 2000, 20000);
const REBUILD = num('rebuild', 100_000, 1_000_000);
const INGEST_CLIENTS = (args.get('ingest-clients') ?? '1,2').split(',').map(Number);
const BATCH = 500;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number) => `${x < 1 ? x.toFixed(3) : x.toFixed(2)} ms`;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const rows: string[][] = [];
const row = (...cells: string[]) => {
  rows.push(cells);
  console.log(cells.join('  |  '));
};

function time<T>(f: () => T): [T, number] {
  const t = process.hrtime.bigint();
  const r = f();
  return [r, Number(process.hrtime.bigint() - t) / 1e6];
}

function buildIndex(bits: 64 | 128, codes: Uint32Array): [HammingIndex, number] {
  const idx = new HammingIndex(bits, codes.length / (bits / 32));
  const n = codes.length / (bits / 32);
  const [, t] = time(() => idx.addMany(codes, Uint32Array.from({ length: n }, (_x, i) => i + 1)));
  return [idx, t];
}

/** The seeds' pre-filter: only codes whose first 16 bits (4 hex digits) equal the query's are compared. */
function prefixFilter(codes: Uint32Array, words: number): (q: Uint32Array, r: number) => number[] {
  const n = codes.length / words;
  const offsets = new Uint32Array(65537);
  for (let i = 0; i < n; i++) offsets[(codes[i * words]! >>> 16) + 1]!++;
  for (let v = 0; v < 65536; v++) offsets[v + 1]! += offsets[v]!;
  const fill = offsets.slice(0, 65536);
  const pos = new Uint32Array(n);
  for (let i = 0; i < n; i++) pos[fill[codes[i * words]! >>> 16]!++] = i;
  return (q, r) => {
    const p = q[0]! >>> 16;
    const out: number[] = [];
    for (let k = offsets[p]!; k < offsets[p + 1]!; k++) {
      const i = pos[k]!;
      let d = 0;
      for (let w = 0; w < words; w++) {
        let x = (codes[i * words + w]! ^ q[w]!) >>> 0;
        while (x) {
          x &= x - 1;
          d++;
        }
      }
      if (d <= r) out.push(i + 1);
    }
    return out;
  };
}

/**
 * Wall-clock and CPU-time percentiles of one lookup each: on a machine shared with other work the wall clock counts
 * the time the process waited for a core, the CPU time only what the lookup itself cost.
 */
function lookups(idx: HammingIndex, queries: Uint32Array[], radius: number): { p50: number; p99: number; cpu50: number; cpu99: number; hits: Hit[][] } {
  for (const q of queries.slice(0, 50)) idx.search(q, radius); // warm-up
  const times: number[] = [];
  const cpu: number[] = [];
  const hits: Hit[][] = [];
  for (const q of queries) {
    const c0 = process.cpuUsage();
    const [h, t] = time(() => idx.search(q, radius));
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    times.push(t);
    hits.push(h);
  }
  return { p50: pct(times, 50), p99: pct(times, 99), cpu50: pct(cpu, 50), cpu99: pct(cpu, 99), hits };
}

const timing = (t: { p50: number; p99: number; cpu50: number; cpu99: number }) => `p50 ${ms(t.p50)} p99 ${ms(t.p99)} (CPU time p50 ${ms(t.cpu50)} p99 ${ms(t.cpu99)})`;

async function phashAndWatermark(): Promise<{ smallest: Uint32Array }> {
  let smallest: Uint32Array | null = null;
  console.log('\n## pHash lookups, radius 10 of 64 bits (queries: stored codes with 0–10 bits flipped)');
  for (const n of SIZES) {
    const codes = randomCodes(n, 2);
    smallest ??= codes;
    const [idx, buildMs] = buildIndex(64, codes);
    const queries = queriesNear(codes, 2, QUERIES, 10);
    const mih = lookups(idx, queries, 10);
    const bruteTimes: number[] = [];
    for (let i = 0; i < BRUTE; i++) {
      const [h, t] = time(() => idx.bruteForce(queries[i]!, 10));
      bruteTimes.push(t);
      if (JSON.stringify(h) !== JSON.stringify(mih.hits[i])) throw new Error(`multi-index hashing disagreed with brute force on query ${i}`);
    }
    const prefix = prefixFilter(codes, 2);
    const preTimes: number[] = [];
    let found = 0;
    let truth = 0;
    queries.forEach((q, i) => {
      const [h, t] = time(() => prefix(q, 10));
      preTimes.push(t);
      found += h.length;
      truth += mih.hits[i]!.length;
    });
    row(`${(n / 1e6).toString()} M codes`, `MIH (${idx.chunkCount} chunks) ${timing(mih)}`, `brute force p50 ${ms(pct(bruteTimes, 50))} p99 ${ms(pct(bruteTimes, 99))}`,
      `prefix filter p50 ${ms(pct(preTimes, 50))} p99 ${ms(pct(preTimes, 99))}, loses ${(100 * (1 - found / truth)).toFixed(1)} % of ${truth} true matches`, `build ${(buildMs / 1000).toFixed(2)} s`);
    if (n === SIZES[SIZES.length - 1]) {
      console.log(`\n## Watermark payload lookups at ${n / 1e6} M codes, radius 6 of 128 bits`);
      const wcodes = randomCodes(n, 4);
      const [widx, wbuild] = buildIndex(128, wcodes);
      const wq = lookups(widx, queriesNear(wcodes, 4, QUERIES, 6), 6);
      row(`${n / 1e6} M payloads`, `MIH (${widx.chunkCount} chunks) ${timing(wq)}`, `build ${(wbuild / 1000).toFixed(2)} s`);
      global.gc?.();
      const mem = process.memoryUsage();
      // The benchmark keeps its own copy of every code (to build the queries and the prefix filter); a hub does not.
      const own = codes.byteLength + wcodes.byteLength;
      row(`memory with ${n / 1e6} M pHashes + ${n / 1e6} M payloads indexed`, `RSS ${mb(mem.rss)}, ${mb(mem.rss - own)} without the benchmark's own ${mb(own)} of codes`, `index arrays ${mb(idx.bytes + widx.bytes)}`, `JS heap ${mb(mem.heapUsed)}`);
    }
  }
  return { smallest: smallest! };
}

async function http(codes: Uint32Array): Promise<void> {
  const n = codes.length / 2;
  console.log(`\n## HTTP: POST /v1/verify {phash} on loopback, ${n / 1e6} M codes in the tenant's index, autocannon ${HTTP_SECONDS} s, 16 connections (client and hub share this process)`);
  const hub = await openHubDatabase({ dataDir: tempDir('custody-hub-bench-http-') });
  try {
    const app = await buildHubApp({ hub, rateLimits: { perKey: 1e9, perTenant: 1e9, perAddress: 1e9 } });
    const desk = await enrolledDesk(hub.db, 'Bench Org');
    await app.loadIndex();
    app.ctx.indexes.get(desk.tenantId).phash.addMany(codes, Uint32Array.from({ length: n }, (_x, i) => i + 1));
    const address = await app.app.listen({ port: 0, host: '127.0.0.1' });
    const queries = queriesNear(codes, 2, 4096, 10).map((q) => JSON.stringify({ phash: hexOf(q) }));
    let k = 0;
    const result = await autocannon({
      url: `${address}/v1/verify`,
      method: 'POST',
      connections: 16,
      duration: HTTP_SECONDS,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${desk.apiKey}` },
      requests: [{ setupRequest: (req) => ({ ...req, body: queries[k++ % queries.length] }) }],
    });
    row(`HTTP verify (${n / 1e6} M codes)`, `${Math.round(result.requests.average)} queries/s`, `latency p50 ${result.latency.p50} ms p99 ${result.latency.p99} ms`, `non-2xx ${result.non2xx}, errors ${result.errors}`);
    await app.app.close();
  } finally {
    await hub.close();
  }
}

/**
 * INGEST records over HTTP in batches of 500 by `clients` clients at once (each sends its next batch when the last
 * was answered, so with two the hub verifies one batch while it writes the other), with the CPU each part spent per
 * record: this process's main thread (HTTP, JSON, checks, SQL), the whole process (adding the verification workers
 * and V8's helper threads) and, on PostgreSQL, the server's backends.
 */
async function ingest(name: string, hub: HubDatabase, clients: number): Promise<void> {
  const app = await buildHubApp({ hub, rateLimits: { perKey: 1e9, perTenant: 1e9, perAddress: 1e9 } });
  try {
    const desk = await enrolledDesk(hub.db, `Bench Org ${clients}`);
    await app.loadIndex();
    const address = await app.app.listen({ port: 0, host: '127.0.0.1' });
    const records = signedRecords(desk, INGEST);
    const bodies: string[] = [];
    for (let i = 0; i < records.length; i += BATCH) bodies.push(JSON.stringify({ records: records.slice(i, i + BATCH) }));
    const cpu = await cpuProbe(hub);
    const before = await cpu();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: clients }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const r = await fetch(`${address}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${desk.apiKey}` }, body });
        if (r.status !== 200) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
      }
    }));
    const s = (performance.now() - t0) / 1000;
    const used = (await cpu()).minus(before, INGEST);
    // The wall-clock rate depends on what else the machine runs; the CPU the hub and its database spent per record
    // does not (much), and cores / that CPU is the rate this machine's cores would allow with nothing else running
    // and every part overlapped: an upper bound to read beside the measured rate and the load.
    const cores = availableParallelism();
    const bound = used.totalUs === null ? 'n/a' : `${Math.round((cores * 1e6) / used.totalUs)} records/s on ${cores} core${cores > 1 ? 's' : ''}`;
    row(`ingest into ${name}, ${clients} client${clients > 1 ? 's' : ''}`, `${Math.round(INGEST / s)} records/s${hub.dialect === 'postgres' ? ' (target ≥ 5,000)' : ''}`, `${(1e6 * s / INGEST).toFixed(0)} µs wall per record`,
      `CPU per record: main thread ${used.main}, process ${used.process}${hub.dialect === 'postgres' ? `, PostgreSQL ${used.server}` : ''}, total ${used.totalUs === null ? 'n/a' : `${used.totalUs.toFixed(0)} µs`}`,
      `CPU-bound at most ${bound}`, `load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    await app.app.close();
  }
}

async function rebuild(name: string, hub: HubDatabase): Promise<void> {
  const desk = await enrolledDesk(hub.db, 'Rebuild Org');
  const deskId = (await hub.db.selectFrom('desks').select('id').where('tenant_id', '=', desk.tenantId).executeTakeFirstOrThrow()).id;
  const codes = randomCodes(REBUILD, 6);
  const now = new Date().toISOString();
  // Rows written straight into the table (no signatures): only the load is timed.
  for (let i = 0; i < REBUILD; i += 5000) {
    await hub.db.transaction().execute(async (trx) => {
      for (let j = i; j < Math.min(REBUILD, i + 5000); j += 500) {
        const chunk = Array.from({ length: Math.min(500, REBUILD - j) }, (_x, k) => {
          const c = codes.subarray((j + k) * 6, (j + k) * 6 + 6);
          return {
            tenant_id: desk.tenantId, id: `rec_${String(j + k).padStart(26, '0')}`, tenant_seq: j + k + 1, desk_id: deskId, kind: 'image' as const, parent_id: null,
            sha256: hexOf(c).padEnd(64, '0'), output_sha256: null, phash: hexOf(c.subarray(0, 2)), payload: hexOf(c.subarray(2, 6)), segment_index: null, signed_at: now,
            public_key: desk.publicKey, signature: '00'.repeat(64), content_sha256: '00'.repeat(32), body: '{}', manifest_id: null, received_at: now, api_key_id: 'bench',
          };
        });
        await trx.insertInto('records').values(chunk).execute();
      }
    });
  }
  await hub.db.updateTable('tenants').set({ record_count: REBUILD }).where('id', '=', desk.tenantId).execute();
  const app = await buildHubApp({ hub });
  // The index alone, as a hub loads it at start (app.loadIndex() would also append these rows, written here without
  // their log leaves, to the transparency log: a one-time catch-up that records pushed through ingest never need).
  const t0 = performance.now();
  await app.ctx.indexes.refresh();
  const s = (performance.now() - t0) / 1000;
  const sizes = app.ctx.indexes.get(desk.tenantId).sizes;
  row(`index rebuild from ${name}`, `${(s).toFixed(1)} s for ${REBUILD / 1e6} M records`, `pHash ${sizes.phash}, payloads ${sizes.payload}`);
  await app.app.close();
}

async function databases(): Promise<void> {
  console.log(`\n## Ingest (${INGEST} records) and index rebuild (${REBUILD / 1e6} M records)`);
  const sqlite = await openHubDatabase({ dataDir: tempDir('custody-hub-bench-') });
  try {
    for (const c of INGEST_CLIENTS) await ingest('SQLite', sqlite, c);
    await rebuild('SQLite', sqlite);
  } finally {
    await sqlite.close();
  }
  const why = await postgresUnavailable();
  if (why) {
    row('ingest into PostgreSQL', `skipped: ${why}`);
    return;
  }
  const db = await tempPostgresDatabase();
  const pg = await openHubDatabase({ database: db.url });
  try {
    await sql`select 1`.execute(pg.db);
    for (const c of INGEST_CLIENTS) await ingest('PostgreSQL', pg, c);
    await rebuild('PostgreSQL', pg);
  } finally {
    await pg.close();
    await db.drop();
  }
}

console.log(`bench:hub — sizes ${SIZES.join(', ')}, ${QUERIES} queries each, ${BRUTE} brute-force, node ${process.version}`);
const PARTS = new Set((args.get('parts') ?? 'lookups,http,db').split(','));
const { smallest } = PARTS.has('lookups') || PARTS.has('http') ? await phashAndWatermark() : { smallest: null };
if (PARTS.has('http') && smallest) await http(smallest);
if (PARTS.has('db')) await databases();
console.log('\n## Summary');
for (const r of rows) console.log(`- ${r.join(' · ')}`);
