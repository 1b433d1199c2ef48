// Signed records and audit heads for the transparency-log tests, made with a fresh desk key and no desk: what a hub
// would accept, built from the wire schema's rules.
import { randomBytes } from 'node:crypto';
import { headSigningMessage } from '../../core/audit/entry.ts';
import { generateKeyPair, sign, type KeyPair } from '../../core/crypto/ed25519.ts';
import { newRecordId, payloadFromSignature } from '../../core/provenance/fingerprint.ts';
import { enrolmentProofBytes, recordFingerprintBytes, signHubRecord, type HubRecord } from '../../core/sync/hub-records.ts';
import { call } from './hub-desk.ts';

export function deskKey(): KeyPair & { publicHex: string } {
  const k = generateKeyPair();
  return { ...k, publicHex: Buffer.from(k.publicKey).toString('hex') };
}

export function signedRecord(key: KeyPair & { publicHex: string }, o: Partial<HubRecord> = {}): HubRecord {
  const base = {
    id: newRecordId(),
    kind: 'image' as const,
    parentId: null,
    sha256: randomBytes(32).toString('hex'),
    outputSha256: randomBytes(32).toString('hex'),
    phash: randomBytes(8).toString('hex'),
    signedAt: new Date(Date.UTC(2026, 11, 3, 12, 0, 0, Math.floor(Math.random() * 1e6))).toISOString(),
    publicKey: key.publicHex,
    format: 'png',
    width: 640,
    height: 480,
    segment: null,
    manifest: null,
    ...o,
  };
  const signature = sign(recordFingerprintBytes(base), key.secretKey);
  const unsigned = { ...base, signature: Buffer.from(signature).toString('hex'), payload: Buffer.from(payloadFromSignature(signature)).toString('hex') };
  return o.recordSignature === undefined ? signHubRecord(unsigned, (m) => sign(m, key.secretKey)) : { ...unsigned, recordSignature: o.recordSignature };
}

export function signedHead(key: KeyPair & { publicHex: string }, seq: number, hash = randomBytes(32).toString('hex')) {
  return { seq, hash, publicKey: key.publicHex, signature: Buffer.from(sign(headSigningMessage(seq, hash), key.secretKey)).toString('hex') };
}

/** Enrols a desk holding `key` on a hub (no C2PA root): answers its API key (ingest, verify) and desk id. */
export async function enrolKey(base: string, adminKey: string, key: KeyPair & { publicHex: string }, name = 'photo desk'): Promise<{ apiKey: string; deskId: string }> {
  const t = await call(base, 'POST', '/v1/enrolment-tokens', { token: adminKey, json: { label: name } });
  const token = t.body.token as string;
  const proof = Buffer.from(sign(enrolmentProofBytes(token, key.publicHex), key.secretKey)).toString('hex');
  const e = await call(base, 'POST', '/v1/enrol', { json: { token, name, keys: [{ publicKey: key.publicHex, proof }], c2paRootPem: null } });
  if (e.status !== 201) throw new Error(`enrol: ${e.status} ${JSON.stringify(e.body)}`);
  return { apiKey: e.body.apiKey as string, deskId: (e.body.desk as { id: string }).id };
}
