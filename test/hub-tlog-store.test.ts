// The hub's stored tree (server/tlog/log-store.ts) against an in-memory one: leaves appended in batches of random
// sizes; every root, and sampled inclusion and consistency proofs, read from the database's leaves and level-8/16
// subtrees equal the MemoryTree's. On SQLite past 65,536 leaves (so level-16 subtrees are stored and used); on
// PostgreSQL a smaller tree.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { consistencyProof, inclusionProof, rootAt, verifyConsistency, verifyInclusion } from '../core/tlog/merkle.ts';
import { MemoryTree } from '../core/tlog/memory-tree.ts';
import { createTenant } from '../server/tenants/tenants.ts';
import { appendLeaves, DbNodeReader } from '../server/tlog/log-store.ts';
import { postgresUnavailable, tempHubDatabase } from './helpers/postgres.ts';

const pgWhy = await postgresUnavailable();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe.each([['sqlite', 70_000], ['postgres', 3_000]] as const)('stored tree on %s (%i leaves)', (backend, total) => {
  let temp: Awaited<ReturnType<typeof tempHubDatabase>> | undefined;
  afterAll(() => temp?.close());

  it.skipIf(backend === 'postgres' && !!pgWhy)('gives the in-memory tree\'s roots and proofs', async () => {
    temp = await tempHubDatabase(backend, 'custody-tlog-store-');
    const { hub } = temp;
    const { id } = await createTenant(hub.db, 'Stored Tree Org');
    const mem = new MemoryTree();
    const reader = new DbNodeReader(hub.db, id);
    const checkAt = async (n: number) => {
      const root = mem.root();
      expect(hex(await rootAt(reader, n))).toBe(hex(root));
      for (const i of new Set([0, n - 1, Math.floor(Math.random() * n), Math.floor(n / 2)])) {
        const p = await inclusionProof(reader, i, n);
        expect(p.map(hex)).toEqual((await inclusionProof(mem, i, n)).map(hex));
        expect(verifyInclusion(i, n, mem.levels[0]![i]!, p, root)).toBe(true);
      }
      const m = 1 + Math.floor(Math.random() * (n - 1));
      const c = await consistencyProof(reader, m, n);
      expect(c.map(hex)).toEqual((await consistencyProof(mem, m, n)).map(hex));
      expect(verifyConsistency(m, n, c, await rootAt(mem, m), root)).toBe(true);
    };
    let checks = 0;
    while (mem.size < total) {
      const batch = Array.from({ length: Math.min(total - mem.size, 1 + Math.floor(Math.random() * 3000)) }, () => new Uint8Array(randomBytes(32)));
      await hub.db.transaction().execute((trx) => appendLeaves(trx, id, batch.map((hash, i) => ({ kind: 'record', ref: `r${mem.size + i}`, hash })), new Date().toISOString()));
      for (const h of batch) mem.appendHash(h);
      if (checks++ % 4 === 0 || mem.size === total) await checkAt(mem.size);
    }
    const stored = await hub.db.selectFrom('tlog_nodes').select(['level']).where('tenant_id', '=', id).execute();
    expect(stored.filter((s) => s.level === 8).length).toBe(Math.floor(total / 256));
    expect(stored.filter((s) => s.level === 16).length).toBe(Math.floor(total / 65536));
    // Migration 0002's guards: a leaf is a record or an audit head, once per thing it names, once per index.
    const row = { tenant_id: id, kind: 'record' as const, leaf_hash: new Uint8Array(32), appended_at: 'now' };
    await expect(hub.db.insertInto('tlog_leaves').values({ ...row, idx: total + 5, kind: 'other' as 'record', ref: 'x' }).execute()).rejects.toThrow(/check/i);
    await expect(hub.db.insertInto('tlog_leaves').values({ ...row, idx: total + 5, ref: 'r0' }).execute()).rejects.toThrow(/unique|duplicate/i);
    await expect(hub.db.insertInto('tlog_leaves').values({ ...row, idx: 0, ref: 'new' }).execute()).rejects.toThrow(/unique|primary|duplicate/i);
    await expect(hub.db.insertInto('tlog_checkpoints').values({ tenant_id: 'no such tenant', size: 1, root: new Uint8Array(32), note: 'n', signed_at: 'now' }).execute()).rejects.toThrow(/foreign/i);
    for (const n of [1, 255, 256, 257, 65535, 65536, 65537].filter((x) => x <= total)) {
      const root = await rootAt(mem, n);
      expect(hex(await rootAt(reader, n))).toBe(hex(root));
      expect(verifyInclusion(n - 1, n, mem.levels[0]![n - 1]!, await inclusionProof(reader, n - 1, n), root)).toBe(true);
    }
  });
});
