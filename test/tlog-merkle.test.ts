// RFC 6962 / RFC 9162 Merkle hashing and proofs (core/tlog/merkle.ts): the Go transparency-dev/merkle known answers,
// every proof of random trees checked against a brute-force MTH, and tampered proofs refused.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CompactRange, edgeLevels } from '../core/tlog/compact.ts';
import {
  EMPTY_ROOT, checkConsistency, consistencyProof, consistencyRanges, inclusionProof, inclusionRanges, leafHash, nodeHash, rootAt,
  rootFromInclusionProof, verifyConsistency, verifyInclusion,
} from '../core/tlog/merkle.ts';
import { MemoryTree } from '../core/tlog/memory-tree.ts';
import { CONSISTENCY, CONSISTENCY_SHAPES, HASHER, INCLUSION, INCLUSION_SHAPES, LEAVES, ROOTS } from './fixtures/rfc6962-vectors.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

/** MTH straight from RFC 6962 §2.1's definition, on leaf data: the reference the optimised code is held to. */
function bruteRoot(data: Uint8Array[]): Uint8Array {
  const sha = (...p: Uint8Array[]) => new Uint8Array(createHash('sha256').update(Buffer.concat(p)).digest());
  if (data.length === 0) return sha();
  if (data.length === 1) return sha(Uint8Array.of(0), data[0]!);
  let k = 1;
  while (k * 2 < data.length) k *= 2;
  return sha(Uint8Array.of(1), bruteRoot(data.slice(0, k)), bruteRoot(data.slice(k)));
}

function flipBit(proof: Uint8Array[], i: number, mask = 8): Uint8Array[] {
  const copy = proof.map((p) => p.slice());
  copy[i]![0]! ^= mask;
  return copy;
}

describe('RFC 6962 hashing', () => {
  it('matches the known answers', () => {
    expect(hex(EMPTY_ROOT)).toBe(HASHER.emptyRoot);
    expect(hex(leafHash(new Uint8Array(0)))).toBe(HASHER.emptyLeaf);
    expect(hex(leafHash(new TextEncoder().encode('L123456')))).toBe(HASHER.leafL123456);
    expect(hex(nodeHash(new TextEncoder().encode('N123'), new TextEncoder().encode('N456')))).toBe(HASHER.nodeN123N456);
  });

  it('separates leaves from nodes and orders children', () => {
    const a = leafHash(new TextEncoder().encode('Hello'));
    const b = leafHash(new TextEncoder().encode('World'));
    expect(hex(a)).not.toBe(hex(b));
    expect(hex(nodeHash(a, b))).not.toBe(hex(leafHash(Buffer.concat([a, b]))));
    expect(hex(nodeHash(a, b))).not.toBe(hex(nodeHash(b, a)));
  });

  it('builds the roots of the RFC example tree at every size', async () => {
    const tree = new MemoryTree();
    for (let n = 1; n <= LEAVES.length; n++) {
      tree.appendData(unhex(LEAVES[n - 1]!));
      expect(hex(tree.root())).toBe(ROOTS[n - 1]);
      for (let m = 1; m <= n; m++) expect(hex(await rootAt(tree, m))).toBe(ROOTS[m - 1]);
    }
    expect(hex(await rootAt(tree, 0))).toBe(HASHER.emptyRoot);
  });
});

describe('proof shapes', () => {
  it.each(INCLUSION_SHAPES)('inclusion of $index in $size', ({ index, size, ranges }) => {
    expect(inclusionRanges(index, size)).toEqual(ranges);
  });
  it.each(CONSISTENCY_SHAPES)('consistency $size1 → $size2', ({ size1, size2, ranges }) => {
    expect(consistencyRanges(size1, size2)).toEqual(ranges);
  });
  it('refuses impossible requests', () => {
    for (const [i, n] of [[0, 0], [1, 0], [2, 1], [8, 7], [-1, 3], [0.5, 3]] as const) expect(() => inclusionRanges(i, n)).toThrow(RangeError);
    for (const [a, b] of [[5, 0], [9, 8], [-1, 2]] as const) expect(() => consistencyRanges(a, b)).toThrow(RangeError);
  });
});

describe('known-answer proofs', () => {
  const tree = MemoryTree.of(LEAVES.map(unhex));

  it.each(INCLUSION)('inclusion of leaf $leaf in $size', async ({ leaf, size, proof }) => {
    const got = await inclusionProof(tree, leaf - 1, size);
    expect(got.map(hex)).toEqual(proof);
    const lh = leafHash(unhex(LEAVES[leaf - 1]!));
    expect(hex(rootFromInclusionProof(leaf - 1, size, lh, proof.map(unhex)))).toBe(ROOTS[size - 1]);
  });

  it.each(CONSISTENCY)('consistency $size1 → $size2', async ({ size1, size2, proof }) => {
    const got = await consistencyProof(tree, size1, size2);
    expect(got.map(hex)).toEqual(proof);
    expect(verifyConsistency(size1, size2, proof.map(unhex), unhex(ROOTS[size1 - 1]!), unhex(ROOTS[size2 - 1]!))).toBe(true);
  });

  it('refuses corrupted inclusion proofs (the Go suite\'s probes)', () => {
    const some = unhex('abacaba000000000000000000000000000000000000000000060061e00123456');
    for (const { leaf, size, proof: p } of INCLUSION.slice(1)) {
      const index = leaf - 1;
      const proof = p.map(unhex);
      const root = unhex(ROOTS[size - 1]!);
      const lh = leafHash(unhex(LEAVES[index]!));
      expect(verifyInclusion(index, size, lh, proof, root)).toBe(true);
      const probes: [string, number, number, Uint8Array, Uint8Array[], Uint8Array][] = [
        ['index - 1', index - 1, size, lh, proof, root],
        ['index + 1', index + 1, size, lh, proof, root],
        ['index ^ 2', index ^ 2, size, lh, proof, root],
        ['size * 2', index, size * 2, lh, proof, root],
        ['size / 2', index, Math.floor(size / 2), lh, proof, root],
        ['wrong leaf', index, size, new TextEncoder().encode('WrongLeaf'), proof, root],
        ['empty root', index, size, lh, proof, EMPTY_ROOT],
        ['random root', index, size, lh, proof, some],
        ['trailing garbage', index, size, lh, [...proof, new Uint8Array(0)], root],
        ['trailing root', index, size, lh, [...proof, root], root],
        ['preceding garbage', index, size, lh, [new Uint8Array(0), ...proof], root],
        ['preceding root', index, size, lh, [root, ...proof], root],
        ...proof.map((_, i): [string, number, number, Uint8Array, Uint8Array[], Uint8Array] => [`flipped bit in hash ${i}`, index, size, lh, flipBit(proof, i), root]),
      ];
      if (proof.length > 0) probes.push(['removed hash', index, size, lh, proof.slice(0, -1), root]);
      if (proof.length > 1) probes.push(['inserted hash', index, size, lh, [proof[0]!, some, ...proof.slice(1)], root]);
      for (const [what, i, n, l, pr, r] of probes) expect(verifyInclusion(i, n, l, pr, r), `${what} (leaf ${leaf} of ${size})`).toBe(false);
    }
  });

  it('refuses corrupted consistency proofs (the Go suite\'s probes)', () => {
    for (const { size1, size2, proof: p } of CONSISTENCY.filter((c) => c.proof.length > 0)) {
      const proof = p.map(unhex);
      const r1 = unhex(ROOTS[size1 - 1]!);
      const r2 = unhex(ROOTS[size2 - 1]!);
      const wrong = new TextEncoder().encode('WrongRoot');
      const probes: [string, number, number, Uint8Array[], Uint8Array, Uint8Array][] = [
        ['size1 - 1', size1 - 1, size2, proof, r1, r2],
        ['size1 + 1', size1 + 1, size2, proof, r1, r2],
        ['size1 ^ 2', size1 ^ 2, size2, proof, r1, r2],
        ['size2 * 2', size1, size2 * 2, proof, r1, r2],
        ['size2 / 2', size1, Math.floor(size2 / 2), proof, r1, r2],
        ['wrong root1', size1, size2, proof, wrong, r2],
        ['wrong root2', size1, size2, proof, r1, wrong],
        ['swapped roots', size1, size2, proof, r2, r1],
        ['empty proof', size1, size2, [], r1, r2],
        ['trailing garbage', size1, size2, [...proof, new Uint8Array(0)], r1, r2],
        ['trailing root1', size1, size2, [...proof, r1], r1, r2],
        ['trailing root2', size1, size2, [...proof, r2], r1, r2],
        ['preceding garbage', size1, size2, [new Uint8Array(0), ...proof], r1, r2],
        ['preceding root1', size1, size2, [r1, ...proof], r1, r2],
        ['preceding root2', size1, size2, [r2, ...proof], r1, r2],
        ['preceding proof[0]', size1, size2, [proof[0]!, ...proof], r1, r2],
        ['truncated', size1, size2, proof.slice(0, -1), r1, r2],
        ...proof.map((_, i): [string, number, number, Uint8Array[], Uint8Array, Uint8Array] => [`flipped bit in hash ${i}`, size1, size2, flipBit(proof, i, 16), r1, r2]),
      ];
      for (const [what, a, b, pr, x, y] of probes) expect(verifyConsistency(a, b, pr, x, y), `${what} (${size1} → ${size2})`).toBe(false);
    }
  });

  it('handles the trivial consistency cases as the RFC and the Go suite do', () => {
    const r1 = new TextEncoder().encode("don't care 1");
    const r2 = new TextEncoder().encode("don't care 2");
    expect(verifyConsistency(0, 0, [], r1, r1)).toBe(true);
    expect(verifyConsistency(0, 1, [], r1, r2)).toBe(true);
    expect(verifyConsistency(1, 1, [], r2, r2)).toBe(true);
    expect(verifyConsistency(0, 0, [], r1, r2)).toBe(false);
    expect(verifyConsistency(1, 1, [], r1, r2)).toBe(false);
    expect(verifyConsistency(1, 0, [], r1, r2)).toBe(false);
    expect(verifyConsistency(2, 1, [], r1, r2)).toBe(false);
    expect(verifyConsistency(1, 2, [], r1, r2)).toBe(false);
    for (const [a, b] of [[0, 0], [0, 1], [1, 1]]) expect(verifyConsistency(a!, b!, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT)).toBe(false);
    expect(() => checkConsistency(5, 7, [], unhex(ROOTS[4]!), unhex(ROOTS[6]!))).toThrow(/no hashes/);
  });

  it('refuses a one-leaf proof with a hash of the wrong size', () => {
    const h = leafHash(new TextEncoder().encode('data'));
    expect(verifyInclusion(0, 1, h, [], h)).toBe(true);
    expect(verifyInclusion(0, 1, new Uint8Array(0), [], h)).toBe(false);
    expect(verifyInclusion(0, 1, h, [], new Uint8Array(0))).toBe(false);
  });
});

describe('random trees against a brute-force MTH', () => {
  it('every root, every inclusion proof and every consistency proof of trees up to 70 leaves', async () => {
    const data = Array.from({ length: 70 }, () => randomBytes(1 + Math.floor(Math.random() * 40)));
    const tree = MemoryTree.of(data);
    const roots = [EMPTY_ROOT, ...data.map((_, i) => bruteRoot(data.slice(0, i + 1)))];
    for (let n = 1; n <= data.length; n++) {
      expect(hex(await rootAt(tree, n))).toBe(hex(roots[n]!));
      for (let i = 0; i < n; i++) {
        const proof = await inclusionProof(tree, i, n);
        const lh = leafHash(data[i]!);
        expect(verifyInclusion(i, n, lh, proof, roots[n]!)).toBe(true);
        if (proof.length > 0) expect(verifyInclusion(i, n, lh, flipBit(proof, Math.floor(Math.random() * proof.length), 1), roots[n]!)).toBe(false);
        expect(verifyInclusion(i, n, leafHash(data[(i + 1) % n]!), proof, roots[n]!) && n > 1).toBe(false);
      }
      for (let m = 0; m <= n; m++) {
        const proof = await consistencyProof(tree, m, n);
        expect(verifyConsistency(m, n, proof, roots[m]!, roots[n]!), `${m} → ${n}`).toBe(true);
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, proof, roots[m - 1]!, roots[n]!)).toBe(false);
          expect(verifyConsistency(m, n, flipBit(proof, Math.floor(Math.random() * proof.length), 1), roots[m]!, roots[n]!)).toBe(false);
        }
      }
    }
  });

  it('a larger random tree: sampled proofs at sizes around powers of two', async () => {
    const data = Array.from({ length: 1100 }, (_, i) => Buffer.from(`leaf ${i} ${Math.random()}`));
    const tree = MemoryTree.of(data);
    for (const n of [255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 1100]) {
      const root = bruteRoot(data.slice(0, n));
      expect(hex(await rootAt(tree, n))).toBe(hex(root));
      for (const i of [0, 1, Math.floor(n / 2), n - 2, n - 1]) expect(verifyInclusion(i, n, leafHash(data[i]!), await inclusionProof(tree, i, n), root)).toBe(true);
      for (const m of [1, 7, 128, 255, 256, n - 1]) {
        if (m >= n) continue;
        expect(verifyConsistency(m, n, await consistencyProof(tree, m, n), bruteRoot(data.slice(0, m)), root)).toBe(true);
      }
    }
  });
});

describe('compact range', () => {
  it('keeps one subtree per set bit of the size and reports every subtree it completes', () => {
    const r = CompactRange.empty();
    const completed: string[] = [];
    for (let i = 0; i < 8; i++) r.append(leafHash(Uint8Array.of(i)), (id) => completed.push(`${id.level}:${id.index}`));
    expect(completed).toEqual(['0:0', '0:1', '1:0', '0:2', '0:3', '1:1', '2:0', '0:4', '0:5', '1:2', '0:6', '0:7', '1:3', '2:1', '3:0']);
    expect(edgeLevels(13)).toEqual([3, 2, 0]);
    expect(edgeLevels(0)).toEqual([]);
  });

  it('round-trips through its bytes and gives the brute-force root', () => {
    const data = Array.from({ length: 45 }, (_, i) => Buffer.from(`x${i}`));
    let r = CompactRange.empty();
    data.forEach((d, i) => {
      r = CompactRange.fromBytes(r.size, r.toBytes());
      r.append(leafHash(d));
      expect(hex(r.root())).toBe(hex(bruteRoot(data.slice(0, i + 1))));
    });
    expect(() => CompactRange.fromBytes(45, new Uint8Array(32))).toThrow(/expected 4 edge hashes/);
    expect(hex(CompactRange.empty().root())).toBe(HASHER.emptyRoot);
  });
});
