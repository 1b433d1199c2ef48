// Merkle tree hashing and proofs of RFC 6962 §2.1, as RFC 9162 §2.1 restates them: leaf = SHA-256(0x00 ‖ data),
// node = SHA-256(0x01 ‖ left ‖ right), MTH(D[n]) split at the largest power of two below n. Proofs are generated
// from the hashes of complete subtrees (NodeReader), so a log that stores those answers without touching its leaves;
// verification follows the RFC 9162 §2.1.3.2 and §2.1.4.2 algorithms step by step.
//
// Indices and sizes are JavaScript numbers, exact up to 2^53: no bitwise operators (they truncate to 32 bits).
import { hash as oneShotHash } from 'node:crypto';

export const HASH_SIZE = 32;

function sha256(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(oneShotHash('sha256', parts.length === 1 ? parts[0]! : Buffer.concat(parts), 'buffer'));
}

const LEAF_PREFIX = Uint8Array.of(0);
const NODE_PREFIX = Uint8Array.of(1);

/** MTH({}): the hash of an empty tree is SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, data);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** A complete subtree: the 2^level leaves from index·2^level. Level 0 is a leaf. */
export interface NodeId {
  level: number;
  index: number;
}

/** Leaves [start, end). */
export type LeafRange = readonly [start: number, end: number];

/** Where complete subtrees' hashes come from: a log's storage, or a MemoryTree. Answers in the order asked. */
export interface NodeReader {
  nodes(ids: readonly NodeId[]): Promise<Uint8Array[]> | Uint8Array[];
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** The largest power of two strictly below n (n ≥ 2): RFC 9162's k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** The complete subtrees whose hashes make MTH(D[start:end]), in the order the RFC's recursion visits them. */
export function rangeNodes(range: LeafRange): NodeId[] {
  const out: NodeId[] = [];
  const walk = (lo: number, hi: number): void => {
    const n = hi - lo;
    if (isPowerOfTwo(n) && lo % n === 0) {
      out.push({ level: Math.round(Math.log2(n)), index: lo / n });
      return;
    }
    const k = splitPoint(n);
    walk(lo, lo + k);
    walk(lo + k, hi);
  };
  if (!(range[1] > range[0])) throw new RangeError(`expected a non-empty leaf range, got [${range[0]}, ${range[1]})`);
  walk(range[0], range[1]);
  return out;
}

/** MTH(D[start:end]) from the hashes of rangeNodes(range), given in that order. */
export function rangeHash(range: LeafRange, nodeHashes: readonly Uint8Array[]): Uint8Array {
  let next = 0;
  const walk = (lo: number, hi: number): Uint8Array => {
    const n = hi - lo;
    if (isPowerOfTwo(n) && lo % n === 0) return nodeHashes[next++]!;
    const k = splitPoint(n);
    const left = walk(lo, lo + k);
    return nodeHash(left, walk(lo + k, hi));
  };
  const h = walk(range[0], range[1]);
  if (next !== nodeHashes.length) throw new RangeError(`expected ${next} subtree hashes for [${range[0]}, ${range[1]}), got ${nodeHashes.length}`);
  return h;
}

/** The leaf ranges whose MTHs are the inclusion proof of leaf `index` in a tree of `size`, leaf to root (RFC 9162 §2.1.3.1 PATH). */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  if (!isCount(index) || !isCount(size) || index >= size) throw new RangeError(`expected a leaf index below the tree size, got index ${index} of size ${size}`);
  const out: LeafRange[] = [];
  const path = (lo: number, hi: number): void => {
    const n = hi - lo;
    if (n === 1) return;
    const k = splitPoint(n);
    if (index < lo + k) {
      path(lo, lo + k);
      out.push([lo + k, hi]);
    } else {
      path(lo + k, hi);
      out.push([lo, lo + k]);
    }
  };
  path(0, size);
  return out;
}

/** The leaf ranges whose MTHs are the consistency proof from `size1` to `size2` (RFC 9162 §2.1.4.1 PROOF / SUBPROOF). */
export function consistencyRanges(size1: number, size2: number): LeafRange[] {
  if (!isCount(size1) || !isCount(size2) || size1 > size2) throw new RangeError(`expected 0 ≤ size1 ≤ size2, got ${size1} and ${size2}`);
  const out: LeafRange[] = [];
  if (size1 === 0 || size1 === size2) return out;
  // m: how many leaves of the old tree lie in [lo, hi); whole: [lo, hi) is a subtree the old tree's root also has.
  const sub = (m: number, lo: number, hi: number, whole: boolean): void => {
    const n = hi - lo;
    if (m === n) {
      if (!whole) out.push([lo, hi]);
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, lo, lo + k, whole);
      out.push([lo + k, hi]);
    } else {
      sub(m - k, lo + k, hi, false);
      out.push([lo, lo + k]);
    }
  };
  sub(size1, 0, size2, true);
  return out;
}

/** The hashes of several ranges, with one call to the reader for every subtree they need. */
export async function rangeHashes(reader: NodeReader, ranges: readonly LeafRange[]): Promise<Uint8Array[]> {
  const perRange = ranges.map((r) => rangeNodes(r));
  const ids = perRange.flat();
  const got = await reader.nodes(ids);
  if (got.length !== ids.length) throw new Error(`node reader: expected ${ids.length} hashes, got ${got.length}`);
  let at = 0;
  return ranges.map((r, i) => {
    const n = perRange[i]!.length;
    const h = rangeHash(r, got.slice(at, at + n));
    at += n;
    return h;
  });
}

export async function rootAt(reader: NodeReader, size: number): Promise<Uint8Array> {
  if (!isCount(size)) throw new RangeError(`expected a tree size, got ${size}`);
  if (size === 0) return EMPTY_ROOT;
  return (await rangeHashes(reader, [[0, size]]))[0]!;
}

export function inclusionProof(reader: NodeReader, index: number, size: number): Promise<Uint8Array[]> {
  return rangeHashes(reader, inclusionRanges(index, size));
}

export function consistencyProof(reader: NodeReader, size1: number, size2: number): Promise<Uint8Array[]> {
  return rangeHashes(reader, consistencyRanges(size1, size2));
}

// ── Verification ─────────────────────────────────────────────────────────────────────────────────────────────

/** Why a proof does not verify; the message is a sentence for an error message. */
export class ProofError extends Error {
  override readonly name = 'ProofError';
}

function checkHash(h: Uint8Array, what: string): void {
  if (h.length !== HASH_SIZE) throw new ProofError(`expected ${what} of ${HASH_SIZE} bytes, got ${h.length}`);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

const lsb = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/** The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1–4); throws ProofError when it cannot lead anywhere. */
export function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  if (!isCount(index) || !isCount(size) || index >= size) throw new ProofError(`expected a leaf index below the tree size, got index ${index} of size ${size}`);
  checkHash(leaf, 'a leaf hash');
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  proof.forEach((p, i) => {
    checkHash(p, `inclusion hash ${i}`);
    if (sn === 0) throw new ProofError(`expected ${i} inclusion hashes for leaf ${index} of ${size}, got ${proof.length}`);
    if (lsb(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!lsb(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  });
  if (sn !== 0) throw new ProofError(`expected more than ${proof.length} inclusion hashes for leaf ${index} of ${size}`);
  return r;
}

/** RFC 9162 §2.1.3.2: true when `proof` shows leaf hash `leaf` at `index` in the tree of `size` with `root`. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  try {
    return equal(rootFromInclusionProof(index, size, leaf, proof), root);
  } catch (e) {
    if (e instanceof ProofError) return false;
    throw e;
  }
}

/**
 * Checks that the tree of size2 with root2 extends the tree of size1 with root1 (RFC 9162 §2.1.4.2), throwing
 * ProofError with the reason when it does not. The trivial cases carry an empty proof: equal sizes need equal roots,
 * and the empty tree is a prefix of every tree.
 */
export function checkConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  if (!isCount(size1) || !isCount(size2)) throw new ProofError(`expected tree sizes, got ${size1} and ${size2}`);
  if (size1 > size2) throw new ProofError(`expected the first tree no larger than the second, got ${size1} > ${size2}`);
  proof.forEach((p, i) => checkHash(p, `consistency hash ${i}`));
  if (size1 === size2 || size1 === 0) {
    if (proof.length !== 0) throw new ProofError(`expected an empty consistency proof from ${size1} to ${size2}, got ${proof.length} hashes`);
    if (size1 === size2 && !equal(root1, root2)) throw new ProofError(`expected equal roots for two trees of size ${size1}, got different ones`);
    return;
  }
  checkHash(root1, 'the first root');
  checkHash(root2, 'the second root');
  // 1. An empty path cannot prove anything between two different non-empty sizes.
  if (proof.length === 0) throw new ProofError(`expected a consistency proof from ${size1} to ${size2}, got no hashes`);
  // 2. A first tree that is a complete subtree is its own first node.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  // 3–4.
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5.
  let fr = path[0]!;
  let sr = path[0]!;
  // 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) throw new ProofError(`expected fewer consistency hashes from ${size1} to ${size2}, got ${proof.length}`);
    if (lsb(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!lsb(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 7.
  if (sn !== 0) throw new ProofError(`expected more than ${proof.length} consistency hashes from ${size1} to ${size2}`);
  if (!equal(fr, root1)) throw new ProofError(`expected the proof to rebuild the root of size ${size1}, got another root: the two trees disagree`);
  if (!equal(sr, root2)) throw new ProofError(`expected the proof to rebuild the root of size ${size2}, got another root: the two trees disagree`);
}

export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): boolean {
  try {
    checkConsistency(size1, size2, proof, root1, root2);
    return true;
  } catch (e) {
    if (e instanceof ProofError) return false;
    throw e;
  }
}
