// A tenant's transparency log in the hub database (docs/anchoring.md). Appending reads one row (the size and the
// right edge), writes the leaf hashes and every complete subtree at levels 8, 16, 24, … as the edge completes it;
// proofs read those back: a subtree of level 8k+r is rebuilt from at most 2^r ≤ 128 stored hashes of level 8k, so
// a proof costs a few hundred rows read at any size, and nothing is ever recomputed from all the leaves.
import { CustodyError } from '../../core/errors.ts';
import { CompactRange } from '../../core/tlog/compact.ts';
import { nodeHash, type NodeId, type NodeReader } from '../../core/tlog/merkle.ts';
import { insertRows, type ColumnTypes } from '../db/bulk-insert.ts';
import type { HubKysely, TlogLeavesTable, TlogNodesTable } from '../db/schema.ts';

/** Subtrees are stored every STRIDE levels. */
export const STRIDE = 8;
const LEAF_COLUMNS: ColumnTypes<TlogLeavesTable> = { tenant_id: 'text', idx: 'int4', kind: 'text', ref: 'text', leaf_hash: 'bytea', appended_at: 'text' };
const NODE_COLUMNS: ColumnTypes<TlogNodesTable> = { tenant_id: 'text', level: 'int4', idx: 'int4', hash: 'bytea' };

export interface NewLeaf {
  kind: TlogLeavesTable['kind'];
  ref: string;
  hash: Uint8Array;
}

export async function logEdge(db: HubKysely, tenantId: string): Promise<CompactRange> {
  const row = await db.selectFrom('tlog_logs').select(['size', 'edge']).where('tenant_id', '=', tenantId).executeTakeFirst();
  return row ? CompactRange.fromBytes(row.size, row.edge) : CompactRange.empty();
}

/**
 * Appends leaves to the tenant's log. Call inside a transaction that holds the tenant lock (server/tenants/lock.ts):
 * the size read here is then the size written. Answers the first new leaf's index and the new size.
 */
export async function appendLeaves(trx: HubKysely, tenantId: string, leaves: readonly NewLeaf[], now: string): Promise<{ first: number; size: number }> {
  const edge = await logEdge(trx, tenantId);
  const first = edge.size;
  if (leaves.length === 0) return { first, size: first };
  const nodes: { tenant_id: string; level: number; idx: number; hash: Uint8Array }[] = [];
  for (const l of leaves) {
    edge.append(l.hash, (id, hash) => {
      if (id.level > 0 && id.level % STRIDE === 0) nodes.push({ tenant_id: tenantId, level: id.level, idx: id.index, hash });
    });
  }
  const rows = leaves.map((l, i) => ({ tenant_id: tenantId, idx: first + i, kind: l.kind, ref: l.ref, leaf_hash: l.hash, appended_at: now }));
  await insertRows(trx, 'tlog_leaves', LEAF_COLUMNS, rows);
  await insertRows(trx, 'tlog_nodes', NODE_COLUMNS, nodes);
  await trx.insertInto('tlog_logs').values({ tenant_id: tenantId, size: edge.size, edge: edge.toBytes(), updated_at: now })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ size: edge.size, edge: edge.toBytes(), updated_at: now })).execute();
  return { first, size: edge.size };
}

/** Hashes of the stored level `base` for indices [lo, hi). */
async function storedHashes(db: HubKysely, tenantId: string, base: number, lo: number, hi: number): Promise<Map<number, Uint8Array>> {
  const rows = base === 0
    ? await db.selectFrom('tlog_leaves').select(['idx', 'leaf_hash as hash']).where('tenant_id', '=', tenantId).where('idx', '>=', lo).where('idx', '<', hi).execute()
    : await db.selectFrom('tlog_nodes').select(['idx', 'hash']).where('tenant_id', '=', tenantId).where('level', '=', base).where('idx', '>=', lo).where('idx', '<', hi).execute();
  return new Map(rows.map((r) => [r.idx, new Uint8Array(r.hash)]));
}

/** The tenant's complete subtrees, from the database (core/tlog/merkle.ts NodeReader). */
export class DbNodeReader implements NodeReader {
  readonly #db: HubKysely;
  readonly #tenantId: string;

  constructor(db: HubKysely, tenantId: string) {
    this.#db = db;
    this.#tenantId = tenantId;
  }

  async nodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    // Each id needs the stored hashes [index·2^r, (index+1)·2^r) of its base level; ranges of one base level that lie
    // close together are read in one query.
    const want = ids.map(({ level, index }) => {
      const base = level - (level % STRIDE);
      const width = 2 ** (level - base);
      return { base, lo: index * width, hi: (index + 1) * width };
    });
    const got = new Map<number, Map<number, Uint8Array>>();
    for (const base of new Set(want.map((w) => w.base))) {
      const ranges = want.filter((w) => w.base === base).sort((a, b) => a.lo - b.lo);
      const merged: [number, number][] = [];
      for (const r of ranges) {
        const last = merged.at(-1);
        if (last && r.lo - last[1] <= 256) last[1] = Math.max(last[1], r.hi);
        else merged.push([r.lo, r.hi]);
      }
      const level = new Map<number, Uint8Array>();
      for (const [lo, hi] of merged) for (const [k, v] of await storedHashes(this.#db, this.#tenantId, base, lo, hi)) level.set(k, v);
      got.set(base, level);
    }
    return want.map((w, i) => {
      let layer: Uint8Array[] = [];
      for (let k = w.lo; k < w.hi; k++) {
        const h = got.get(w.base)!.get(k);
        if (!h) throw new CustodyError('INTEGRITY_FAILED', `expected the log of tenant ${this.#tenantId} to hold the subtree at level ${w.base} index ${k} (for level ${ids[i]!.level} index ${ids[i]!.index}), got none`);
        layer.push(h);
      }
      while (layer.length > 1) layer = Array.from({ length: layer.length / 2 }, (_, j) => nodeHash(layer[2 * j]!, layer[2 * j + 1]!));
      return layer[0]!;
    });
  }
}

/**
 * A NodeReader that remembers every subtree hash it was given (complete subtrees of an append-only log never
 * change), for the proofs of one batch: neighbouring leaves share most of their paths.
 */
export class CachingNodeReader implements NodeReader {
  readonly #inner: NodeReader;
  readonly #seen = new Map<string, Uint8Array>();

  constructor(inner: NodeReader) {
    this.#inner = inner;
  }

  async nodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    const key = (n: NodeId) => `${n.level}:${n.index}`;
    const missing = ids.filter((n) => !this.#seen.has(key(n)));
    if (missing.length > 0) {
      const got = await this.#inner.nodes(missing);
      missing.forEach((n, i) => this.#seen.set(key(n), got[i]!));
    }
    return ids.map((n) => this.#seen.get(key(n))!);
  }
}
