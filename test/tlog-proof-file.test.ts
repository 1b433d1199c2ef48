// The proof file (core/tlog/proof-file.ts): a proof built over a real tree verifies with the pinned hub key alone,
// and each kind of tampering fails with its own code.
import { describe, expect, it } from 'vitest';
import { canonicalRecord, type HubRecord } from '../core/sync/hub-records.ts';
import { generateKeyPair } from '../core/crypto/ed25519.ts';
import { isCustodyError, type ErrorCode } from '../core/errors.ts';
import { signCheckpoint } from '../core/tlog/checkpoint.ts';
import { sha256Hex } from '../core/media/hash.ts';
import { newRecordId } from '../core/provenance/fingerprint.ts';
import { leafBytes, recordLeafFrom, recordLeafOf, type Leaf } from '../core/tlog/leaves.ts';
import { inclusionProof } from '../core/tlog/merkle.ts';
import { MemoryTree } from '../core/tlog/memory-tree.ts';
import { noteKeyOf } from '../core/tlog/note.ts';
import { buildProofFile, parseProofFile, verifyProofFile, type ProofFile } from '../core/tlog/proof-file.ts';
import { formatTlogProof, parseTlogProof } from '../core/tlog/tlog-proof.ts';
import { deskKey, signedHead, signedRecord } from './helpers/tlog.ts';

const hub = generateKeyPair();
const KEY_NAME = 'hub.test/custody';
const hubKey = noteKeyOf(KEY_NAME, hub.publicKey);
const desk = deskKey();

const records = Array.from({ length: 11 }, () => signedRecord(desk));
const head = { v: 1 as const, type: 'audit-head' as const, desk: 'dsk_1', ...signedHead(desk, 42) };
const leaves: Leaf[] = [...records.slice(0, 6).map(recordLeafOf), head, ...records.slice(6).map(recordLeafOf)];
const tree = MemoryTree.of(leaves.map(leafBytes));
const checkpoint = signCheckpoint({ origin: `${KEY_NAME}/ten_1`, size: tree.size, root: tree.root(), extensions: [] }, KEY_NAME, hub.secretKey);

async function proofFor(index: number): Promise<ProofFile> {
  const leaf = leaves[index]!;
  const record = leaf.type === 'record' ? canonicalRecord(records.find((r) => r.id === leaf.id)!) : null;
  return buildProofFile({ leaf, record, index, hashes: await inclusionProof(tree, index, tree.size), checkpoint, chain: null });
}

function codeOf(f: () => unknown): ErrorCode | 'ok' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (isCustodyError(e)) return e.code;
    throw e;
  }
}

describe('proof files', () => {
  it('verify for every leaf, records and an audit head, with the hub key alone, after a JSON round trip', async () => {
    for (let i = 0; i < leaves.length; i++) {
      const file = parseProofFile(JSON.stringify(await proofFor(i)));
      const v = verifyProofFile(file, hubKey);
      expect(v.index).toBe(i);
      expect(v.leaf).toEqual(leaves[i]);
      expect(v.checkpoint.size).toBe(tree.size);
      expect(v.chain).toBeNull();
    }
  });

  it('check the leaf against the one the caller holds', async () => {
    const file = await proofFor(3);
    expect(codeOf(() => verifyProofFile(file, hubKey, { expectLeaf: leaves[3]! }))).toBe('ok');
    expect(codeOf(() => verifyProofFile(file, hubKey, { expectLeaf: leaves[4]! }))).toBe('PROOF_LEAF_MISMATCH');
  });

  it('fail with a distinct code for each kind of tampering', async () => {
    const good = await proofFor(2);
    const tp = parseTlogProof(good.proof);
    const other = generateKeyPair();
    const rec = JSON.parse(good.record!) as Record<string, unknown>;
    const leafObj = JSON.parse(good.leaf) as Record<string, unknown>;
    const cases: [string, ProofFile, ErrorCode][] = [
      ['a changed leaf', { ...good, leaf: good.leaf.replace(String(leafObj.sha256), 'f'.repeat(64)) }, 'PROOF_LEAF_MISMATCH'],
      ['a changed record', { ...good, record: canonicalRecord({ ...(rec as unknown as HubRecord), format: 'jpeg', manifest: null }) }, 'PROOF_LEAF_MISMATCH'],
      ['a changed leaf with its leaf hash recomputed', await (async () => {
        const forged = { ...leaves[2]!, id: records[3]!.id } as Leaf;
        return { ...buildProofFile({ leaf: forged, record: canonicalRecord(records[3]!), index: 2, hashes: tp.hashes, checkpoint, chain: null }) };
      })(), 'PROOF_LEAF_MISMATCH'],
      ['another record\'s leaf and body, re-hashed', await (async () => {
        const l = recordLeafOf(records[3]!);
        return buildProofFile({ leaf: l, record: canonicalRecord(records[3]!), index: 2, hashes: tp.hashes, checkpoint, chain: null });
      })(), 'PROOF_INCLUSION_FAILED'],
      ['a changed inclusion hash', { ...good, proof: formatTlogProof({ ...tp, hashes: tp.hashes.map((h, i) => (i === 1 ? h.map((b, j) => (j === 0 ? b ^ 1 : b)) : h)) }) }, 'PROOF_INCLUSION_FAILED'],
      ['a dropped inclusion hash', { ...good, proof: formatTlogProof({ ...tp, hashes: tp.hashes.slice(1) }) }, 'PROOF_INCLUSION_FAILED'],
      ['another index', { ...good, proof: formatTlogProof({ ...tp, index: 3 }) }, 'PROOF_INCLUSION_FAILED'],
      ['a changed checkpoint', { ...good, proof: good.proof.replace(`\n${tree.size}\n`, `\n${tree.size + 1}\n`) }, 'CHECKPOINT_SIGNATURE_INVALID'],
      ['a checkpoint by another key', { ...good, proof: formatTlogProof({ ...tp, checkpoint: signCheckpoint({ origin: `${KEY_NAME}/ten_1`, size: tree.size, root: tree.root(), extensions: [] }, KEY_NAME, other.secretKey) }) }, 'CHECKPOINT_WRONG_KEY'],
      ['a checkpoint of another hub\'s name', { ...good, proof: formatTlogProof({ ...tp, checkpoint: signCheckpoint({ origin: 'evil/ten_1', size: tree.size, root: tree.root(), extensions: [] }, 'evil', hub.secretKey) }) }, 'CHECKPOINT_WRONG_KEY'],
      ['a forged record signature', await (async () => {
        const r = { ...records[2]!, signature: records[3]!.signature };
        const t2 = MemoryTree.of([...leaves.slice(0, 2), recordLeafOf(r), ...leaves.slice(3)].map(leafBytes));
        const cp = signCheckpoint({ origin: `${KEY_NAME}/ten_1`, size: t2.size, root: t2.root(), extensions: [] }, KEY_NAME, hub.secretKey);
        return buildProofFile({ leaf: recordLeafOf(r), record: canonicalRecord(r), index: 2, hashes: await inclusionProof(t2, 2, t2.size), checkpoint: cp, chain: null });
      })(), 'SIGNATURE_INVALID'],
      ['no record with a record leaf', { ...good, record: null }, 'PROOF_MALFORMED'],
      ['a proof text that is not one', { ...good, proof: 'hello\n\nworld\n' }, 'PROOF_MALFORMED'],
      ['a leaf that is not canonical', { ...good, leaf: ` ${good.leaf}` }, 'PROOF_MALFORMED'],
    ];
    expect(codeOf(() => verifyProofFile(good, hubKey))).toBe('ok');
    for (const [what, file, code] of cases) expect(codeOf(() => verifyProofFile(file, hubKey)), what).toBe(code);
  });

  it('fail for a forged record, even one a hub logged and signed into its checkpoint', async () => {
    /** The proof a hub would serve had it logged `leaf` (with the record body `body`) at index 2. */
    const logged = async (leaf: Leaf, body: string): Promise<ProofFile> => {
      const t = MemoryTree.of([...leaves.slice(0, 2), leaf, ...leaves.slice(3)].map(leafBytes));
      const cp = signCheckpoint({ origin: `${KEY_NAME}/ten_1`, size: t.size, root: t.root(), extensions: [] }, KEY_NAME, hub.secretKey);
      return buildProofFile({ leaf, record: body, index: 2, hashes: await inclusionProof(t, 2, t.size), checkpoint: cp, chain: null });
    };
    const codeAndMessage = (file: ProofFile): [string, string] => {
      try {
        verifyProofFile(file, hubKey);
        return ['ok', ''];
      } catch (e) {
        if (!isCustodyError(e)) throw e;
        return [e.code, e.message];
      }
    };
    // The review's forgery: a genuine record's signatures under a new id, the signed output another file's.
    const genuine = records[2]!;
    const forged: HubRecord = { ...genuine, id: newRecordId(), outputSha256: 'ab'.repeat(32), manifest: null };
    const body = canonicalRecord(forged);
    expect(codeAndMessage(await logged(recordLeafOf(forged), body))).toEqual(['SIGNATURE_INVALID', expect.stringMatching(/the record signature over custody-record\/v1:<content>/)]);
    // The same forgery in the log's first leaf format, which had no record signature to check.
    expect(codeAndMessage(await logged(recordLeafFrom({ ...forged, recordSignature: null }, sha256Hex(body)), body))).toEqual(['SIGNATURE_INVALID', expect.stringMatching(/got version 1/)]);
    // One record's content and record signature with another record's fingerprint and its signature: every
    // signature holds, but the leaf does not say what the record says.
    const other = records[3]!;
    const mixed = { ...recordLeafOf(genuine), sha256: other.sha256, phash: other.phash, signedAt: other.signedAt, signature: other.signature } as Leaf;
    expect(codeAndMessage(await logged(mixed, canonicalRecord(genuine)))[0]).toBe('PROOF_LEAF_MISMATCH');
    // The genuine record, logged the same way, verifies.
    expect(codeAndMessage(await logged(recordLeafOf(genuine), canonicalRecord(genuine)))).toEqual(['ok', '']);
  });

  it('accept a version 1 record leaf only against the leaf the caller computed from its own record', async () => {
    const r = records[2]!;
    const body = canonicalRecord(r);
    const v1 = recordLeafFrom({ ...r, recordSignature: null }, sha256Hex(body));
    const t = MemoryTree.of([...leaves.slice(0, 2), v1, ...leaves.slice(3)].map(leafBytes));
    const cp = signCheckpoint({ origin: `${KEY_NAME}/ten_1`, size: t.size, root: t.root(), extensions: [] }, KEY_NAME, hub.secretKey);
    const file = buildProofFile({ leaf: v1, record: body, index: 2, hashes: await inclusionProof(t, 2, t.size), checkpoint: cp, chain: null });
    expect(codeOf(() => verifyProofFile(file, hubKey))).toBe('SIGNATURE_INVALID');
    expect(codeOf(() => verifyProofFile(file, hubKey, { expectLeaf: v1 }))).toBe('ok');
    expect(codeOf(() => verifyProofFile(file, hubKey, { expectLeaf: recordLeafOf(r) }))).toBe('PROOF_LEAF_MISMATCH');
  });

  it.each([
    ['not JSON', '{'],
    ['another format', JSON.stringify({ format: 'x' })],
    ['a missing field', JSON.stringify({ format: 'custody-tlog-proof/v1', leaf: '{}', leafHash: '0'.repeat(64), record: null, chain: null })],
    ['an unknown field', JSON.stringify({ format: 'custody-tlog-proof/v1', leaf: '{}', leafHash: '0'.repeat(64), record: null, proof: '', chain: null, extra: 1 })],
    ['a bad chain section', JSON.stringify({ format: 'custody-tlog-proof/v1', leaf: '{}', leafHash: '0'.repeat(64), record: null, proof: '', chain: { chainId: 1 } })],
  ])('refuse a file with %s as PROOF_MALFORMED', (_what, text) => {
    expect(codeOf(() => parseProofFile(text))).toBe('PROOF_MALFORMED');
  });
});
