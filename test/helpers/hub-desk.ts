// A desk-shaped hub client for tests: a real desk (tests/helpers/desk.ts) that enrols on a hub with its signing key,
// and turns what it signed into the hub's wire records, with the C2PA manifest store cut out of the signed PNG.
import { readFileSync } from 'node:fs';
import { Keyring } from '../../core/crypto/keyring.ts';
import { PassphraseProtector } from '../../core/crypto/vault.ts';
import type { Desk } from '../../core/desk.ts';
import { readManifest } from '../../core/c2pa/read.ts';
import { getRecord } from '../../core/store/records.ts';
import { enrolmentProofBytes, hubRecordOf, signHubRecord, type HubRecord } from '../../core/sync/hub-records.ts';
import { TEST_SCRYPT } from './desk.ts';

export interface HubCall {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function call(base: string, method: string, path: string, o: { token?: string; json?: unknown; body?: Uint8Array; type?: string } = {}): Promise<HubCall> {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body: string | Blob | undefined;
  if (o.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.json);
  } else if (o.body) {
    headers['content-type'] = o.type ?? 'application/octet-stream';
    body = new Blob([o.body as Uint8Array<ArrayBuffer>]);
  }
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** The desk's current signer (test/helpers/desk.ts makes desks with the passphrase 'test passphrase'). */
export async function deskSigner(desk: Desk, passphrase = 'test passphrase') {
  return (await Keyring.unlock(desk.store, new PassphraseProtector(passphrase, TEST_SCRYPT))).signer();
}

export async function enrol(base: string, desk: Desk, enrolToken: string, name = 'photo desk'): Promise<HubCall> {
  const signer = await deskSigner(desk);
  const publicKey = Buffer.from(signer.publicKey).toString('hex');
  const proof = Buffer.from(signer.sign(enrolmentProofBytes(enrolToken, publicKey))).toString('hex');
  return call(base, 'POST', '/v1/enrol', { json: { token: enrolToken, name, keys: [{ publicKey, proof }], c2paRootPem: desk.orgRootPem() } });
}

/** The JUMBF manifest store of a PNG: the payload of its caBX chunk (C2PA 2.x, "Embedding manifests into PNG"). */
export function pngManifestStore(png: Uint8Array): Uint8Array | null {
  for (let i = 8; i + 12 <= png.length; ) {
    const len = Buffer.from(png.subarray(i, i + 4)).readUInt32BE(0);
    const type = Buffer.from(png.subarray(i + 4, i + 8)).toString('latin1');
    if (type === 'caBX') return png.subarray(i + 8, i + 8 + len);
    i += 12 + len;
  }
  return null;
}

/** The hub record of a signed PNG, with its manifest store and label, signed as a whole as the desk's sync worker does. */
export async function hubRecordOfSignedPng(desk: Desk, recordId: string, outputPath: string): Promise<{ record: HubRecord; label: string; store: Uint8Array }> {
  const bytes = new Uint8Array(readFileSync(outputPath));
  const store = pngManifestStore(bytes);
  if (!store) throw new Error(`expected a caBX chunk in ${outputPath}`);
  const m = await readManifest(bytes, 'image/png');
  if (!m) throw new Error(`expected a readable manifest in ${outputPath}`);
  const r = getRecord(desk.store, recordId);
  if (!r) throw new Error(`expected record ${recordId} on the desk`);
  const signer = await deskSigner(desk);
  return { record: signHubRecord(hubRecordOf(r, { id: m.manifestLabel, data: store }), signer.sign), label: m.manifestLabel, store };
}
