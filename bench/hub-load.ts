// Load for the hub benchmark: random codes in flat arrays, queries at known distances from stored codes, and signed
// records of a desk enrolled straight through the hub's own functions (keys from node:crypto, so making 100,000
// records takes seconds, not minutes).
import { readFileSync } from 'node:fs';
import { generateKeyPairSync, randomFillSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { newRecordId, payloadFromSignature } from '../core/provenance/fingerprint.ts';
import { enrolmentProofBytes, recordFingerprintBytes, signHubRecord, type HubRecord, type UnsignedHubRecord } from '../core/sync/hub-records.ts';
import { sql } from 'kysely';
import type { HubDatabase } from '../server/db/connect.ts';
import type { HubKysely } from '../server/db/schema.ts';
import { createEnrolmentToken, enrolDesk } from '../server/tenants/desks.ts';
import { createTenant } from '../server/tenants/tenants.ts';

export function randomCodes(n: number, words: number): Uint32Array {
  const out = new Uint32Array(n * words);
  for (let off = 0; off < out.length; off += 1 << 22) randomFillSync(out.subarray(off, Math.min(out.length, off + (1 << 22))));
  return out;
}

/** `count` queries, each a stored code (chosen at random) with 0..maxFlips bits flipped, spread evenly. */
export function queriesNear(codes: Uint32Array, words: number, count: number, maxFlips: number): Uint32Array[] {
  const n = codes.length / words;
  const bits = words * 32;
  const out: Uint32Array[] = [];
  for (let q = 0; q < count; q++) {
    const i = Math.floor(Math.random() * n);
    const c = codes.slice(i * words, (i + 1) * words);
    const flips = q % (maxFlips + 1);
    const chosen = new Set<number>();
    while (chosen.size < flips) chosen.add(Math.floor(Math.random() * bits));
    for (const b of chosen) c[b >>> 5]! ^= 1 << (31 - (b & 31));
    out.push(c);
  }
  return out;
}

export const hexOf = (code: Uint32Array): string => Array.from(code, (w) => w.toString(16).padStart(8, '0')).join('');

export interface BenchDesk {
  tenantId: string;
  apiKey: string;
  publicKey: string;
  privateKey: KeyObject;
}

/** An organisation and an enrolled desk with a fresh Ed25519 key. */
export async function enrolledDesk(db: HubKysely, org: string): Promise<BenchDesk> {
  const tenant = await createTenant(db, org);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pub = (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12).toString('hex');
  const { token } = await createEnrolmentToken(db, { tenantId: tenant.id, label: 'bench', createdBy: 'bench' });
  const proof = nodeSign(null, enrolmentProofBytes(token, pub), privateKey).toString('hex');
  const e = await enrolDesk(db, { token, name: 'bench desk', keys: [{ publicKey: pub, proof }], c2paRootPem: null });
  return { tenantId: tenant.id, apiKey: e.apiKey, publicKey: pub, privateKey };
}

/** `n` really signed image records of the desk, with random hashes. */
export function signedRecords(desk: BenchDesk, n: number): HubRecord[] {
  const rnd = randomCodes(n, 10);
  const signedAt = new Date().toISOString();
  return Array.from({ length: n }, (_x, i) => {
    const w = rnd.subarray(i * 10, i * 10 + 10);
    const r: UnsignedHubRecord = {
      id: newRecordId(), kind: 'image', parentId: null, sha256: hexOf(w.subarray(0, 8)), outputSha256: null, phash: hexOf(w.subarray(8, 10)), payload: null,
      signedAt, publicKey: desk.publicKey, signature: '', format: 'jpeg', width: 4000, height: 3000, segment: null, manifest: null,
    };
    const sig = nodeSign(null, recordFingerprintBytes(r), desk.privateKey);
    r.signature = sig.toString('hex');
    r.payload = Buffer.from(payloadFromSignature(sig)).toString('hex');
    return signHubRecord(r, (m) => nodeSign(null, m, desk.privateKey));
  });
}

/** utime + stime of a thread or process in ms, from /proc (Linux); null where it cannot be read. */
function procCpuMs(path: string): number | null {
  try {
    const f = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * (1000 / 100);
  } catch {
    return null;
  }
}

export interface CpuSample {
  /** Per-record CPU between `earlier` and this sample, as text ("n/a" where not measurable). */
  minus(earlier: CpuSample, records: number): { main: string; process: string; server: string; totalUs: number | null };
  main: number | null;
  process: number;
  server: number | null;
}

/**
 * CPU time of this process's main thread, of the whole process (worker threads included) and of the PostgreSQL
 * backends serving the hub's database: where an ingest's time goes, which wall-clock time on a shared machine
 * cannot say.
 */
export async function cpuProbe(hub: HubDatabase): Promise<() => Promise<CpuSample>> {
  return async () => {
    let server: number | null = null;
    if (hub.dialect === 'postgres') {
      const pids = (await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(hub.db)).rows;
      server = 0;
      for (const { pid } of pids) {
        const t = procCpuMs(`/proc/${pid}/stat`);
        server = t === null || server === null ? null : server + t;
      }
    }
    const u = process.cpuUsage();
    const sample: CpuSample = {
      main: procCpuMs(`/proc/self/task/${process.pid}/stat`),
      process: (u.user + u.system) / 1000,
      server,
      minus: (e, n) => {
        const per = (a: number | null, b: number | null) => (a === null || b === null ? 'n/a' : `${((1000 * (a - b)) / n).toFixed(0)} µs`);
        // Everything the hub spent per record: its process (main thread, verification workers, V8's helpers) and, on
        // PostgreSQL, the server's backends.
        const server = hub.dialect === 'postgres' ? (sample.server === null || e.server === null ? null : sample.server - e.server) : 0;
        const totalUs = server === null ? null : (1000 * (sample.process - e.process + server)) / n;
        return { main: per(sample.main, e.main), process: per(sample.process, e.process), server: per(sample.server, e.server), totalUs };
      },
    };
    return sample;
  };
}
