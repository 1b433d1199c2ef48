// Records as the sign pipeline commits them (record row + outbox row, in one transaction per 1,000), signed by the
// desk's own org key but without decoding photos: thousands in seconds, for the sync benchmark and slow tests.
import { Keyring } from '../../core/crypto/keyring.ts';
import type { PassphraseProtector } from '../../core/crypto/vault.ts';
import type { Desk } from '../../core/desk.ts';
import { fingerprint, newRecordId, payloadFromSignature } from '../../core/provenance/fingerprint.ts';
import { insertRecord, type SignedRecord } from '../../core/store/records.ts';
import { enqueueRecords } from '../../core/sync/outbox.ts';
import { randomCodes } from '../../bench/hub-load.ts';

const hex = (a: Uint32Array) => Array.from(a, (w) => w.toString(16).padStart(8, '0')).join('');

export async function queueSignedRecords(desk: Desk, protector: PassphraseProtector, n: number): Promise<string[]> {
  const signer = (await Keyring.unlock(desk.store, protector)).signer();
  const pub = Buffer.from(signer.publicKey).toString('hex');
  const rnd = randomCodes(n, 10);
  const ids: string[] = [];
  for (let start = 0; start < n; start += 1000) {
    desk.store.transaction(() => {
      for (let i = start; i < Math.min(n, start + 1000); i++) {
        const w = rnd.subarray(i * 10, i * 10 + 10);
        const signedAt = new Date().toISOString();
        const fields = { sha256: hex(w.subarray(0, 8)), phash: hex(w.subarray(8, 10)), timestamp: signedAt, signer: pub };
        const fp = fingerprint(fields);
        const sig = signer.sign(new TextEncoder().encode(fp));
        const r: SignedRecord = {
          id: newRecordId(), kind: 'image', parentId: null, inputName: `queued-${i}.jpg`, inputPath: null, outputPath: null, format: 'jpeg', width: 4000, height: 3000,
          sha256: fields.sha256, outputSha256: null, phash: fields.phash, payload: Buffer.from(payloadFromSignature(sig)).toString('hex'), watermark: 'embedded',
          fingerprint: fp, signature: Buffer.from(sig).toString('hex'), publicKey: pub, keyId: signer.keyId, signedAt, details: {},
        };
        insertRecord(desk.store, r);
        enqueueRecords(desk.store, r, [], null, signer.sign);
        ids.push(r.id);
      }
    });
  }
  return ids;
}
