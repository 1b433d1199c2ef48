// The right edge of an append-only Merkle tree (a "compact range" of [0, size)): the hashes of the complete
// subtrees that [0, size) splits into, largest first, one per set bit of size. It is all an appender needs: a new
// leaf merges with the equal-sized subtrees to its left, and every merge is a subtree that just became complete,
// which the caller may store. The root is the fold of the edge from the right (RFC 6962's MTH for that split).
import { EMPTY_ROOT, HASH_SIZE, nodeHash, type NodeId } from './merkle.ts';

/** The levels of the complete subtrees [0, size) splits into, largest first. */
export function edgeLevels(size: number): number[] {
  const levels: number[] = [];
  for (let level = 0, rest = size; rest > 0; level++, rest = Math.floor(rest / 2)) if (rest % 2 === 1) levels.unshift(level);
  return levels;
}

export class CompactRange {
  #size: number;
  #hashes: Uint8Array[];

  private constructor(size: number, hashes: Uint8Array[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** From a stored edge: `hashes` concatenated, largest subtree first, as serialize() writes them. */
  static fromBytes(size: number, bytes: Uint8Array): CompactRange {
    const count = edgeLevels(size).length;
    if (bytes.length !== count * HASH_SIZE) throw new RangeError(`expected ${count} edge hashes (${count * HASH_SIZE} bytes) for a tree of ${size} leaves, got ${bytes.length} bytes`);
    const hashes = Array.from({ length: count }, (_, i) => bytes.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE));
    return new CompactRange(size, hashes);
  }

  get size(): number {
    return this.#size;
  }

  toBytes(): Uint8Array {
    return Buffer.concat(this.#hashes);
  }

  /** The subtrees of the edge with their hashes, largest first. */
  edge(): { id: NodeId; hash: Uint8Array }[] {
    let start = 0;
    return edgeLevels(this.#size).map((level, i) => {
      const id = { level, index: start / 2 ** level };
      start += 2 ** level;
      return { id, hash: this.#hashes[i]! };
    });
  }

  /**
   * Appends one leaf hash. `completed` hears of every subtree this completes, the leaf itself (level 0) first and
   * then each merge upwards.
   */
  append(leaf: Uint8Array, completed?: (id: NodeId, hash: Uint8Array) => void): void {
    if (leaf.length !== HASH_SIZE) throw new RangeError(`expected a leaf hash of ${HASH_SIZE} bytes, got ${leaf.length}`);
    let index = this.#size;
    let h = leaf;
    completed?.({ level: 0, index }, h);
    // Every trailing set bit of the old size is a subtree of the same level as the growing one, to its left.
    let level = 0;
    for (let s = this.#size; s % 2 === 1; s = Math.floor(s / 2)) {
      h = nodeHash(this.#hashes.pop()!, h);
      level++;
      index = Math.floor(index / 2);
      completed?.({ level, index }, h);
    }
    this.#hashes.push(h);
    this.#size++;
  }

  root(): Uint8Array {
    if (this.#hashes.length === 0) return EMPTY_ROOT;
    let h = this.#hashes[this.#hashes.length - 1]!;
    for (let i = this.#hashes.length - 2; i >= 0; i--) h = nodeHash(this.#hashes[i]!, h);
    return h;
  }
}
