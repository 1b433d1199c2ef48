// The proof a desk keeps for a record or an audit-log head: self-contained, checkable with the hub's pinned key and
// nothing else. JSON around the C2SP tlog-proof text (index, inclusion hashes, signed checkpoint), with the leaf's
// bytes, their leaf hash, the record's canonical body when the leaf is a record, and where the checkpoint's root was
// anchored on a chain, once it was (docs/anchoring.md).
import { keccak_256 } from '@noble/hashes/sha3.js';
import { z } from 'zod';
import { CustodyError } from '../errors.ts';
import { sha256Hex } from '../media/hash.ts';
import { openCheckpoint, type Checkpoint } from './checkpoint.ts';
import { leafBytes, leafSignatureProblem, parseLeaf, type Leaf } from './leaves.ts';
import { leafHash, ProofError, rootFromInclusionProof } from './merkle.ts';
import { NoteError, type NoteKey } from './note.ts';
import { formatTlogProof, parseTlogProof } from './tlog-proof.ts';

export const PROOF_FORMAT = 'custody-tlog-proof/v1';

/**
 * Whether `a` is an address as ethers' getAddress takes it: 0x and 40 hex digits, all lower case, all upper case, or
 * mixed case with its EIP-55 checksum right. (Here, not through ethers, which the desk loads only to ask a chain.)
 */
export function isEvmAddress(a: string): boolean {
  if (!/^0x[0-9a-fA-F]{40}$/.test(a)) return false;
  const digits = a.slice(2);
  const lower = digits.toLowerCase();
  if (digits === lower || digits === digits.toUpperCase()) return true;
  const hash = keccak_256(new TextEncoder().encode(lower));
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    if (digits[i] !== (nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!)) return false;
  }
  return true;
}

/**
 * Where a checkpoint's root was registered (filled by the anchoring worker; null until then), as the desk keeps and
 * shows it. A proof file's chain section is read with the stricter ServedChainRefSchema below; this one stays as
 * lenient as before, so that a reference kept (or refuted and remembered) before that can still be shown.
 */
export const ChainRefSchema = z.strictObject({
  chainId: z.int().min(1),
  /** The ProvenanceRegistry contract, 0x + 40 hex. */
  contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  /** The registerBatch transaction, 0x + 64 hex. */
  tx: z.string().regex(/^0x[0-9a-f]{64}$/),
  block: z.int().min(0),
  /** The block's time, ISO-8601 UTC; null when not known. */
  timestamp: z.string().nullable(),
});
export type ChainRef = z.infer<typeof ChainRefSchema>;

/**
 * A chain section as a proof file carries it (the hub's word, covered by no signature): the contract must be an
 * address ethers takes (isEvmAddress), or one malformed address would stop the desk's chain check (chain-check.ts).
 */
export const ServedChainRefSchema = ChainRefSchema.extend({
  contract: z.string().refine(isEvmAddress, { message: 'expected 0x and 40 hex digits, all lower case, all upper case or with a right EIP-55 checksum' }),
});

export const ProofFileSchema = z.strictObject({
  format: z.literal(PROOF_FORMAT),
  /** The leaf's bytes: canonical JSON (core/tlog/leaves.ts). */
  leaf: z.string().max(10_000),
  /** SHA-256(0x00 ‖ leaf), hex. */
  leafHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The record's canonical body (core/sync/hub-records.ts canonicalRecord) when the leaf is a record; else null. */
  record: z.string().max(100_000).nullable(),
  /** c2sp.org/tlog-proof@v1: index, inclusion hashes, the signed checkpoint. */
  proof: z.string().max(100_000),
  chain: ServedChainRefSchema.nullable(),
});
export type ProofFile = z.infer<typeof ProofFileSchema>;

export function buildProofFile(o: { leaf: Leaf; record: string | null; index: number; hashes: Uint8Array[]; checkpoint: string; chain: ChainRef | null }): ProofFile {
  const bytes = leafBytes(o.leaf);
  return {
    format: PROOF_FORMAT,
    leaf: new TextDecoder().decode(bytes),
    leafHash: Buffer.from(leafHash(bytes)).toString('hex'),
    record: o.record,
    proof: formatTlogProof({ index: o.index, hashes: o.hashes, checkpoint: o.checkpoint, extra: null }),
    chain: o.chain,
  };
}

export interface VerifiedProof {
  leaf: Leaf;
  index: number;
  checkpoint: Checkpoint;
  /** The signed checkpoint note, for a consistency check against one seen before. */
  checkpointNote: string;
  chain: ChainRef | null;
}

const malformed = (what: string): never => {
  throw new CustodyError('PROOF_MALFORMED', `expected a ${PROOF_FORMAT} proof file, got ${what}`);
};

/** The proof file in `text`, shape-checked (PROOF_MALFORMED otherwise). */
export function parseProofFile(text: string): ProofFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return malformed('text that is not JSON');
  }
  const r = ProofFileSchema.safeParse(v);
  if (!r.success) return malformed(r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  return r.data;
}

/** The members a record leaf repeats from the record's body, which must agree with it. */
const REPEATED = ['id', 'sha256', 'phash', 'signedAt', 'publicKey', 'signature'] as const;

/**
 * Checks everything the file claims that needs no hub and no chain: the leaf is well formed and hashes to its leaf
 * hash, the record (if any) is the one the leaf commits to and its desk's signatures hold (the record signature over
 * its content, and the fingerprint's), the checkpoint is signed by `hubKey`, and the inclusion hashes lead from the
 * leaf to the checkpoint's root. `expectLeaf`: the leaf the caller computed from what it holds (a desk, from its own
 * record), which the file's must equal. A version 1 record leaf (no record signature: its content is the hub's word)
 * is accepted only against `expectLeaf`, whose caller vouches for the content itself.
 * Each failure throws its own code; the chain section is returned unchecked (see checkAnchor in docs/anchoring.md).
 * `origin`, when given, is the one log the checkpoint must be of (`<key name>/<tenant id>`, logOrigin in
 * core/sync/link.ts): the hub signs every organisation's log with the same key, so the key alone does not say whose.
 */
export function verifyProofFile(file: ProofFile, hubKey: NoteKey, opts: { expectLeaf?: Leaf; origin?: string } = {}): VerifiedProof {
  const leaf = parseLeaf(file.leaf) ?? malformed('a leaf that is not a canonical record or audit-head leaf');
  const bytes = new TextEncoder().encode(file.leaf);
  const lh = leafHash(bytes);
  if (Buffer.from(lh).toString('hex') !== file.leafHash) {
    throw new CustodyError('PROOF_LEAF_MISMATCH', `expected the leaf to hash to the file's leaf hash ${file.leafHash.slice(0, 16)}…, got ${Buffer.from(lh).toString('hex').slice(0, 16)}…: the leaf was changed`);
  }
  if (leaf.type === 'record') {
    if (file.record === null) malformed('a record leaf without its record');
    const content = sha256Hex(file.record!);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(file.record!) as Record<string, unknown>;
    } catch {
      malformed('a record that is not JSON');
    }
    if (content !== leaf.content || body.id !== leaf.id) {
      throw new CustodyError('PROOF_LEAF_MISMATCH', `expected the record ${leaf.id} with content ${leaf.content.slice(0, 16)}… the leaf commits to, got ${String(body.id)} with content ${content.slice(0, 16)}…`);
    }
    const other = REPEATED.find((k) => body[k] !== leaf[k]);
    if (other) throw new CustodyError('PROOF_LEAF_MISMATCH', `expected the record's ${other} to be the leaf's, ${String(leaf[other]).slice(0, 40)}, got ${String(body[other]).slice(0, 40)}`);
    if (leaf.v === 1 && !opts.expectLeaf) {
      throw new CustodyError('SIGNATURE_INVALID', `expected a record leaf of version 2, whose record signature covers the record's content, got version 1 for ${leaf.id}: its only signature covers sha256|phash|signedAt|publicKey, so nothing but the hub vouches for the rest of the record`);
    }
  } else if (file.record !== null) {
    malformed('an audit-head leaf with a record');
  }
  const problem = leafSignatureProblem(leaf);
  if (problem) throw new CustodyError('SIGNATURE_INVALID', `expected the desk's Ed25519 signatures in the ${leaf.type} leaf to verify with its key ${leaf.publicKey.slice(0, 16)}…, got ${problem} that does not`);
  if (opts.expectLeaf) {
    const mine = new TextDecoder().decode(leafBytes(opts.expectLeaf));
    if (mine !== file.leaf) throw new CustodyError('PROOF_LEAF_MISMATCH', `expected the proof to be about ${mine.slice(0, 120)}…, got ${file.leaf.slice(0, 120)}…`);
  }

  let tp;
  try {
    tp = parseTlogProof(file.proof);
  } catch (e) {
    if (e instanceof NoteError) malformed(e.message);
    throw e;
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(tp!.checkpoint, hubKey);
  } catch (e) {
    if (!(e instanceof NoteError)) throw e;
    if (e.reason === 'unknown-key') throw new CustodyError('CHECKPOINT_WRONG_KEY', `${e.message}: the checkpoint was not signed by the pinned hub key`);
    if (e.reason === 'bad-signature') throw new CustodyError('CHECKPOINT_SIGNATURE_INVALID', `${e.message}: the checkpoint was changed after it was signed`);
    return malformed(`a checkpoint that is not a signed note: ${e.message}`);
  }
  if (!checkpoint.origin.startsWith(`${hubKey.name}/`)) {
    throw new CustodyError('CHECKPOINT_WRONG_KEY', `expected a checkpoint of a log of ${hubKey.name} (origin ${hubKey.name}/…), got origin ${checkpoint.origin}`);
  }
  if (opts.origin !== undefined && checkpoint.origin !== opts.origin) {
    throw new CustodyError('CHECKPOINT_WRONG_KEY', `expected a checkpoint of this organisation's log (origin ${opts.origin}), got one of ${checkpoint.origin}: another organisation's log`);
  }
  let root: Uint8Array;
  try {
    root = rootFromInclusionProof(tp!.index, checkpoint.size, lh, tp!.hashes);
  } catch (e) {
    if (!(e instanceof ProofError)) throw e;
    throw new CustodyError('PROOF_INCLUSION_FAILED', `expected inclusion hashes for leaf ${tp!.index} of ${checkpoint.size}: ${e.message}`);
  }
  if (!Buffer.from(root).equals(Buffer.from(checkpoint.root))) {
    throw new CustodyError('PROOF_INCLUSION_FAILED', `expected the inclusion hashes to lead from leaf ${tp!.index} to the checkpoint's root ${Buffer.from(checkpoint.root).toString('base64')}, got ${Buffer.from(root).toString('base64')}`);
  }
  return { leaf, index: tp!.index, checkpoint, checkpointNote: tp!.checkpoint, chain: file.chain };
}
