// A Merkle tree held in memory: every complete subtree's hash, level by level. For tests, benchmarks and small
// logs; the hub keeps the same hashes in its database (server/tlog).
import { CompactRange } from './compact.ts';
import { leafHash, type NodeId, type NodeReader } from './merkle.ts';

export class MemoryTree implements NodeReader {
  /** levels[l][i]: the hash of the complete subtree of 2^l leaves from i·2^l. */
  readonly levels: Uint8Array[][] = [[]];
  readonly #edge = CompactRange.empty();

  static of(leaves: Iterable<Uint8Array>): MemoryTree {
    const t = new MemoryTree();
    for (const l of leaves) t.appendData(l);
    return t;
  }

  get size(): number {
    return this.#edge.size;
  }

  appendData(data: Uint8Array): number {
    return this.appendHash(leafHash(data));
  }

  /** Appends a leaf hash; answers its index. */
  appendHash(h: Uint8Array): number {
    const index = this.#edge.size;
    this.#edge.append(h, (id, hash) => {
      (this.levels[id.level] ??= [])[id.index] = hash;
    });
    return index;
  }

  root(): Uint8Array {
    return this.#edge.root();
  }

  nodes(ids: readonly NodeId[]): Uint8Array[] {
    return ids.map(({ level, index }) => {
      const h = this.levels[level]?.[index];
      if (!h) throw new RangeError(`expected a complete subtree at level ${level} index ${index}, got none in a tree of ${this.size}`);
      return h;
    });
  }
}
