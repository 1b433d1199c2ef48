// The desk signs each record as a whole when its sync worker builds it for the hub (core/sync/worker.ts), with the
// key that signed its fingerprint: a record signed before a key rotation goes out signed by the retired key, one
// signed after by the current one, and the proof of each that comes back checks out for a third party (a version 2
// leaf, with no leaf of the desk's to compare) and in the desk's own anchor check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../core/crypto/keyring.ts';
import { PassphraseProtector } from '../core/crypto/vault.ts';
import type { Desk } from '../core/desk.ts';
import { anchorCheck } from '../core/provenance/anchor-check.ts';
import { getRecord } from '../core/store/records.ts';
import { proofOf } from '../core/sync/proofs.ts';
import { parseVerifierKey } from '../core/tlog/note.ts';
import { parseProofFile, verifyProofFile } from '../core/tlog/proof-file.ts';
import { TEST_SCRYPT } from './helpers/desk.ts';
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
