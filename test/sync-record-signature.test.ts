// The desk signs each record as a whole with the key that signed its fingerprint, when it signs and queues it (a row
// queued before that, when the sync worker builds it for the hub): a record signed before a key rotation goes out
// signed by the retired key, one signed after by the current one, and the proof of each that comes back checks out
// for a third party (a version 2 leaf, with no leaf of the desk's to compare) and in the desk's own anchor check. A
// record row changed in desk.db after it was queued is not signed again by the sync: it is parked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../core/crypto/keyring.ts';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import type { Desk } from '../core/desk.ts';
import { anchorCheck } from '../core/provenance/anchor-check.ts';
import { getRecord } from '../core/store/records.ts';
import { outboxOfRecord, parkedRows } from '../core/sync/outbox.ts';
import { generateKeyPair } from '../core/crypto/ed25519.ts';
import type { CustodyError } from '../core/errors.ts';
import { sha256Hex } from '../core/media/hash.ts';
import { canonicalRecord, hubRecordOf } from '../core/sync/hub-records.ts';
import { expectedLeafOf, proofOf } from '../core/sync/proofs.ts';
import { signCheckpoint } from '../core/tlog/checkpoint.ts';
import { leafBytes, recordLeafFrom, type RecordLeaf } from '../core/tlog/leaves.ts';
import { inclusionProof } from '../core/tlog/merkle.ts';
import { MemoryTree } from '../core/tlog/memory-tree.ts';
import { noteKeyOf, parseVerifierKey } from '../core/tlog/note.ts';
import { buildProofFile, parseProofFile, verifyProofFile, type ProofFile } from '../core/tlog/proof-file.ts';
import { TEST_SCRYPT, tempDesk } from './helpers/desk.ts';
import { tempDir } from './helpers/cli.ts';
import { closeBoth, deskWithHub, signResized, type TestHub } from './helpers/sync-hub.ts';

let hub: TestHub;
let desk: Desk;
let dir: string;

const signOne = (i: number): Promise<string> => signResized(desk, dir, i);

beforeAll(async () => {
  ({ hub, desk, dir } = await deskWithHub('custody-sync-record-signature-', false));
}, 60_000);
afterAll(() => closeBoth(desk, hub));

describe('records signed whole at push', { timeout: 60_000 }, () => {
  it('by the retired key and by the current one, each record by its own; their proofs check out without the desk', async () => {
    const before = await signOne(1);
    const retired = getRecord(desk.store, before)!.publicKey;
    const keyring = await Keyring.unlock(desk.store, new PassphraseProtector('test passphrase', TEST_SCRYPT));
    keyring.createSigningKey(new Date().toISOString());
    const after = await signOne(2);
    const current = getRecord(desk.store, after)!.publicKey;
    expect(current).not.toBe(retired);

    await desk.hub.connect({ name: 'desk', roles: ['admin'] }, { url: hub.url, token: await hub.enrolmentToken(), name: 'photo desk' });
    expect(await desk.hub.worker().pushOnce()).toMatchObject({ accepted: 2, parked: 0, error: null });
    for (let i = 0; i < 50; i++) {
      const r = await desk.hub.puller().pull();
      expect(r).toMatchObject({ alarm: null, error: null });
      if (r.notReady === 0) break;
      await new Promise((d) => setTimeout(d, 200));
    }

    const key = parseVerifierKey(desk.hub.status().proofs.logKey!);
    for (const [id, publicKey] of [[before, retired], [after, current]] as const) {
      const v = verifyProofFile(parseProofFile(proofOf(desk.store, id)!.file), key);
      expect(v.leaf).toMatchObject({ type: 'record', v: 2, id, publicKey, recordSignature: expect.stringMatching(/^[0-9a-f]{128}$/) });
      expect(anchorCheck(desk.store, id)).toMatchObject({ status: 'absent', state: 'logged' });
    }
  });
});

describe('a record row changed after it was signed', { timeout: 60_000 }, () => {
  let hub2: TestHub;
  let desk2: Desk;
  let dir2: string;
  beforeAll(async () => {
    ({ hub: hub2, desk: desk2, dir: dir2 } = await deskWithHub('custody-sync-record-edited-'));
  }, 60_000);
  afterAll(() => closeBoth(desk2, hub2));

  it('is parked (INTEGRITY_FAILED), not signed as it now reads; a row queued before signatures at signing is signed at push', async () => {
    const edited = await signResized(desk2, dir2, 1);
    const legacy = await signResized(desk2, dir2, 2);
    const plain = await signResized(desk2, dir2, 3);
    for (const id of [edited, legacy, plain]) expect(outboxOfRecord(desk2.store, id)!.recordSignature).toMatch(/^[0-9a-f]{128}$/);
    // Someone with the database but not the vault points the record at other bytes before the sync runs.
    desk2.store.raw.prepare('UPDATE records SET output_sha256 = ? WHERE id = ?').run('e'.repeat(64), edited);
    desk2.store.raw.prepare('UPDATE outbox SET record_signature = NULL WHERE ref = ?').run(legacy);

    expect(await desk2.hub.worker().pushOnce()).toMatchObject({ accepted: 2, parked: 1 });
    expect(parkedRows(desk2.store).map((r) => [r.ref, r.parked?.code])).toEqual([[edited, 'INTEGRITY_FAILED']]);
    expect(outboxOfRecord(desk2.store, legacy)!.state).toBe('delivered');
    expect(outboxOfRecord(desk2.store, plain)!.state).toBe('delivered');
  });
});

describe('the leaf the desk expects for a record it signed whole', { timeout: 60_000 }, () => {
  it('is the version 2 leaf with the signature it kept: a hub that logs the record as version 1 is caught', async () => {
    const d = await tempDesk('Daily Planet');
    try {
      const id = await signResized(d, tempDir('custody-leaf-expect-'), 1);
      const row = outboxOfRecord(d.store, id)!;
      const unsigned = hubRecordOf(getRecord(d.store, id)!, row.manifest);
      const body = canonicalRecord(unsigned);
      const hubKeys = generateKeyPair();
      const proofOfLeaf = async (leaf: RecordLeaf) => {
        const tree = MemoryTree.of([leafBytes(leaf)]);
        const checkpoint = signCheckpoint({ origin: 'hub.test/custody/ten_1', size: 1, root: tree.root(), extensions: [] }, 'hub.test/custody', hubKeys.secretKey);
        return buildProofFile({ leaf, record: body, index: 0, hashes: await inclusionProof(tree, 0, 1), checkpoint, chain: null });
      };
      const hubKey = noteKeyOf('hub.test/custody', hubKeys.publicKey);
      const judged = (file: ProofFile) => {
        try {
          verifyProofFile(file, hubKey, { expectLeaf: expectedLeafOf(d.store, id, file)! });
          return 'ok';
        } catch (e) {
          return (e as CustodyError).code;
        }
      };
      const v1 = await proofOfLeaf(recordLeafFrom({ ...unsigned, recordSignature: null }, sha256Hex(body)));
      const v2 = await proofOfLeaf(recordLeafFrom({ ...unsigned, recordSignature: row.recordSignature }, sha256Hex(body)));
      expect([judged(v1), judged(v2)]).toEqual(['PROOF_LEAF_MISMATCH', 'ok']);
      // A row queued before the desk kept its signature: the proof's version 1 leaf is what it can check.
      d.store.raw.prepare('UPDATE outbox SET record_signature = NULL WHERE ref = ?').run(id);
      expect(judged(v1)).toBe('ok');
    } finally {
      d.close();
    }
  });
});
