// Decoy JUMBF boxes in the manifest store (review of the desk's raw manifest reader, core/c2pa/jumbf.ts). c2pa-rs
// skips store children whose JUMBF type UUID is not a C2PA manifest's, and finds a manifest's claim and signature by
// their UUIDs; the desk's own checks (ML-DSA co-signature, TSA-root guard) must read the same bytes it validated.
// The forger slips a decoy superbox carrying the ACTIVE manifest's label, with a genuine claim and COSE_Sign1 copied
// from a real file of the org, ahead of the active manifest (or decoy claim/signature boxes inside it), keeping the
// store's length (the forged COSE's unsigned pad shrinks by the decoy's size) so the hard binding still holds.
//   - hybrid org, stolen classical key: the forged caption must not pass as "co-signed" Content Credentials;
//   - a signer under a root the admin added as a TSA root: must not pass as trusted through the org's copied chain.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCoseSign1, padCoseSign1 } from '../core/c2pa/cose.ts';
import type { CustodyAssertion } from '../core/c2pa/custody-assertion.ts';
import { embedManifest } from '../core/c2pa/embed.ts';
import { manifestStoreBytes, parseBoxes, readRawManifests, withoutManifestStore, type Box, type RawManifest } from '../core/c2pa/jumbf.ts';
import { DIGITAL_CAPTURE } from '../core/c2pa/manifest.ts';
import { readManifest } from '../core/c2pa/read.ts';
import { createSigner } from '../core/c2pa/signer.ts';
import type { Desk } from '../core/desk.ts';
import { orgPki } from './fixtures/c2pa.ts';
import { photo } from './fixtures/photos.ts';
import { tempDir } from './helpers/cli.ts';
import { tempDesk } from './helpers/desk.ts';

const GENUINE = { headline: 'Launch at dawn', caption: 'The rocket leaves the pad at 06:12.' };
const FORGED = { headline: 'FORGED HEADLINE', caption: 'words the organisation never signed' };

const be32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const box = (type: string, ...parts: Uint8Array[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([be32(8 + body.length), Buffer.from(type, 'latin1'), body]);
};
const jumd = (label: string, uuid: Uint8Array = randomBytes(16)) => box('jumd', uuid, Buffer.from([0x03]), Buffer.from(`${label}\0`, 'utf8'));
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Uint8Array) => {
  let c = 0xffffffff;
  for (const x of b) c = (crcTable[(c ^ x) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

/**
 * Rewrites the manifest store of a PNG in place, keeping its length: `edit` gets the store and returns the new
 * content of its top superbox, which must be as long as the old. The caBX chunk's CRC is recomputed.
 */
function editStore(png: Uint8Array, edit: (store: Buffer, top: Box) => Buffer): Buffer {
  const buf = Buffer.from(png);
  let chunk = -1;
  for (let at = 8; at + 12 <= buf.length; at += 12 + buf.readUInt32BE(at)) {
    if (buf.toString('latin1', at + 4, at + 8) === 'caBX') {
      chunk = at;
      break;
    }
  }
  if (chunk < 0) throw new Error('no caBX chunk');
  const len = buf.readUInt32BE(chunk);
  const store = buf.subarray(chunk + 8, chunk + 8 + len);
  const top = parseBoxes(store, 0, store.length)[0]!;
  const body = edit(store, top);
  if (body.length !== top.end - top.content) throw new Error(`store size changed: ${body.length} vs ${top.end - top.content}`);
  body.copy(store, top.content);
  buf.writeUInt32BE(crc32(buf.subarray(chunk + 4, chunk + 8 + len)), chunk + 8 + len);
  return buf;
}

function labelOf(store: Buffer, b: Box): string {
  const d = parseBoxes(store, b.content, b.end)[0]!;
  const s = d.content + 17;
  let e = s;
  while (store[e] !== 0) e++;
  return store.toString('utf8', s, e);
}

/** The signature superbox `k` with its COSE_Sign1's unsigned pad shrunk by `by` bytes (its signature still holds). */
function shrunkSignature(store: Buffer, k: Box, by: number): Buffer {
  const [d, c] = parseBoxes(store, k.content, k.end);
  const cose = new Uint8Array(store.subarray(c!.content, c!.end));
  const dec = decodeCoseSign1(cose);
  return box('jumb', store.subarray(d!.start, d!.end), box('cbor', padCoseSign1(dec.protectedHeader, dec.signature, cose.length - by, [])));
}

/**
 * A decoy manifest superbox with the active manifest's label, carrying the genuine file's claim and COSE_Sign1,
 * inserted just before the active manifest of `forged`. 'random': the reviewer's attack, a superbox and claim and
 * signature boxes of unknown JUMBF types (c2pa-rs skips it). 'c2pa': the genuine active manifest copied whole, a
 * well-formed C2PA manifest, relabelled (c2pa-rs reads it as one more manifest and validates the last).
 */
function withDecoyManifest(forged: Uint8Array, genuineFile: Uint8Array, types: 'random' | 'c2pa'): Buffer {
  const genuine = readRawManifests(genuineFile, 'image/png')!.at(-1)!;
  const gstore = Buffer.from(manifestStoreBytes(genuineFile, 'image/png')!);
  const gtop = parseBoxes(gstore, 0, gstore.length)[0]!;
  const gman = parseBoxes(gstore, gtop.content, gtop.end).filter((b) => b.type === 'jumb').at(-1)!;
  return editStore(forged, (store, top) => {
    const topKids = parseBoxes(store, top.content, top.end);
    const active = topKids.filter((b) => b.type === 'jumb').at(-1)!;
    const label = labelOf(store, active);
    let decoy: Buffer;
    if (types === 'random') {
      decoy = box('jumb', jumd(label), box('jumb', jumd('c2pa.claim.v2'), box('cbor', genuine.claim)), box('jumb', jumd('c2pa.signature'), box('cbor', genuine.signature)));
    } else {
      // the description box keeps its type UUID and toggles, and whatever follows the label; only the label changes
      const [d, ...rest] = parseBoxes(gstore, gman.content, gman.end);
      const labelEnd = gstore.indexOf(0, d!.content + 17);
      const newD = box('jumd', gstore.subarray(d!.content, d!.content + 17), Buffer.from(`${label}\0`, 'utf8'), gstore.subarray(labelEnd + 1, d!.end));
      decoy = box('jumb', newD, ...rest.map((k) => gstore.subarray(k.start, k.end)));
    }
    const parts = parseBoxes(store, active.content, active.end).map((k) =>
      k.type === 'jumb' && labelOf(store, k) === 'c2pa.signature' ? shrunkSignature(store, k, decoy.length) : Buffer.from(store.subarray(k.start, k.end)));
    const newActive = box('jumb', ...parts);
    return Buffer.concat(topKids.flatMap((k) => (k === active ? [decoy, newActive] : [Buffer.from(store.subarray(k.start, k.end))])));
  });
}

/**
 * Decoy claim and signature boxes (random UUIDs, the usual labels) with `genuine`'s bytes, put inside the active
 * manifest right after its description box, ahead of the real ones.
 */
function withDecoyBoxes(forged: Uint8Array, genuine: RawManifest): Buffer {
  return editStore(forged, (store, top) => {
    const topKids = parseBoxes(store, top.content, top.end);
    const active = topKids.filter((b) => b.type === 'jumb').at(-1)!;
    const kids = parseBoxes(store, active.content, active.end);
    const claimLabel = kids.filter((k) => k.type === 'jumb').map((k) => labelOf(store, k)).find((l) => l.startsWith('c2pa.claim'))!;
    const decoys = Buffer.concat([box('jumb', jumd(claimLabel), box('cbor', genuine.claim)), box('jumb', jumd('c2pa.signature'), box('cbor', genuine.signature))]);
    const parts = kids.flatMap((k) => {
      if (k.type === 'jumd') return [Buffer.from(store.subarray(k.start, k.end)), decoys];
      if (k.type === 'jumb' && labelOf(store, k) === 'c2pa.signature') return [shrunkSignature(store, k, decoys.length)];
      return [Buffer.from(store.subarray(k.start, k.end))];
    });
    const newActive = box('jumb', ...parts);
    return Buffer.concat(topKids.map((k) => (k === active ? newActive : Buffer.from(store.subarray(k.start, k.end)))));
  });
}

/** `bytes` written as `name` under `dir` and verified by `desk`. */
async function verifyBytes(desk: Desk, dir: string, name: string, bytes: Uint8Array) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return desk.verify(path);
}

describe('hybrid org, stolen classical key: a decoy carrying the genuine claim and co-signature', () => {
  let desk: Desk;
  let dir: string;
  let genuine: Uint8Array;
  let genuineRaw: RawManifest;
  let forged: Uint8Array;
  let recordId: string;

  beforeAll(async () => {
    const pki = await orgPki('ed25519'); // a second "Acme News" root the desk trusts: the stolen classical key
    const forger = await createSigner({ chainPem: pki.signingCertPem, keyPkcs8: pki.signingKeyPkcs8 });
    desk = await tempDesk('Acme News');
    const admin = desk.bootstrapActor()!;
    desk.addTrustAnchors(admin, pki.rootCertPem);
    desk.setHybridPq(admin, true);
    dir = tempDir('c2pa-decoy-');
    const input = join(dir, 'rocket.png');
    await sharp(photo('rocket.jpg')).resize(640).png().toFile(input);
    const r = await desk.sign(input, { actor: admin, outDir: join(dir, 'signed'), metadata: GENUINE });
    recordId = r.recordId;
    genuine = new Uint8Array(readFileSync(r.output));
    const gm = (await readManifest(genuine, 'image/png'))!;
    genuineRaw = readRawManifests(genuine, 'image/png')!.at(-1)!;
    expect(genuineRaw.label).toBe(gm.manifestLabel);
    forged = await embedManifest(withoutManifestStore(genuine, 'image/png'), 'image/png', {
      title: 'rocket', digitalSourceType: DIGITAL_CAPTURE, metadata: FORGED, custody: gm.custody as CustodyAssertion,
    }, forger, { addOns: [{ reserve: 64000, headers: () => [] }] }); // room for a whole manifest
  }, 120_000);
  afterAll(() => desk?.close());

  const verify = (name: string, bytes: Uint8Array) => verifyBytes(desk, dir, name, bytes);

  it('the genuine file passes, co-signed', async () => {
    const v = await verify('genuine.png', genuine);
    expect(v.checks.c2pa).toMatchObject({ status: 'pass', pqSignature: 'pass' });
  });

  it('the forgery without a decoy fails on its missing co-signature (the baseline)', async () => {
    const v = await verify('plain.png', forged);
    expect(v.checks.c2pa).toMatchObject({ status: 'fail', pqSignature: 'fail', pqReason: 'PQ_SIGNATURE_MISSING' });
  });

  it('a decoy manifest of unknown type ahead of the active one is ignored: the co-signature is still missing', async () => {
    const bytes = withDecoyManifest(forged, genuine, 'random');
    // the reader skips it, as c2pa-rs does: the manifest read is the forged one
    const raws = readRawManifests(bytes, 'image/png')!;
    expect(raws.map((r) => r.label)).toEqual([readRawManifests(forged, 'image/png')!.at(-1)!.label]);
    expect(Buffer.from(raws[0]!.claim).equals(Buffer.from(genuineRaw.claim))).toBe(false);
    const v = await verify('decoy-random.png', bytes);
    expect(v.checks.c2pa).toMatchObject({ status: 'fail', valid: true, pqSignature: 'fail', pqReason: 'PQ_SIGNATURE_MISSING' });
    expect(v.checks.signature.status).not.toBe('pass');
    expect(v.metadata?.source).not.toBe('credentials');
    expect(v.verdict).toBe('tampered');
    expect(v.recordId).toBe(recordId);
  });

  it('the genuine manifest copied whole, relabelled with the active label, ahead of it: refused as ambiguous', async () => {
    const bytes = withDecoyManifest(forged, genuine, 'c2pa');
    // a well-formed C2PA manifest: the reader lists it (c2pa-rs does too), so two manifests carry the active label
    const raws = readRawManifests(bytes, 'image/png')!;
    expect(raws).toHaveLength(2);
    expect(raws[0]!.label).toBe(raws[1]!.label);
    const v = await verify('decoy-c2pa.png', bytes);
    // c2pa-rs validates the last (forged) manifest: only the desk's refusal stops the copied co-signature
    expect(v.checks.c2pa).toMatchObject({ status: 'fail', valid: true, reason: 'C2PA_STORE_AMBIGUOUS', detail: expect.stringContaining('2 manifests labelled') });
    expect(v.checks.c2pa.pqSignature).not.toBe('pass');
    expect(v.checks.signature.status).not.toBe('pass');
    expect(v.metadata?.source).not.toBe('credentials');
    expect(v.verdict).toBe('tampered');
  });

  it('decoy claim and signature boxes of unknown type inside the active manifest are not read', async () => {
    const bytes = withDecoyBoxes(forged, genuineRaw);
    const raw = readRawManifests(bytes, 'image/png')!.at(-1)!;
    expect(Buffer.from(raw.claim).equals(Buffer.from(genuineRaw.claim))).toBe(false);
    expect(Buffer.from(raw.signature).equals(Buffer.from(genuineRaw.signature))).toBe(false);
    const v = await verify('decoy-boxes.png', bytes);
    expect(v.checks.c2pa.status).toBe('fail');
    expect(v.checks.c2pa).toMatchObject({ pqSignature: 'fail', pqReason: 'PQ_SIGNATURE_MISSING' });
  });
});

describe('TSA-root guard: a decoy carrying the org chain', () => {
  let desk: Desk;
  let dir: string;
  let genuine: Uint8Array;
  let forged: Uint8Array;

  beforeAll(async () => {
    const rogue = await orgPki('ed25519', 'Rogue Press'); // stands for a public CA the admin trusted as a TSA root
    const forger = await createSigner({ chainPem: rogue.signingCertPem, keyPkcs8: rogue.signingKeyPkcs8 });
    desk = await tempDesk('Acme News');
    const admin = desk.bootstrapActor()!;
    desk.setTsa(admin, { anchorsPem: rogue.rootCertPem });
    dir = tempDir('c2pa-decoy-tsa-');
    const input = join(dir, 'coffee.png');
    await sharp(photo('coffee.png')).resize(512).png().toFile(input);
    const r = await desk.sign(input, { actor: admin, outDir: join(dir, 'signed') });
    genuine = new Uint8Array(readFileSync(r.output));
    const other = new Uint8Array(await sharp(photo('chelsea.png')).png().toBuffer());
    forged = await embedManifest(other, 'image/png', { title: 'cat', digitalSourceType: DIGITAL_CAPTURE, metadata: FORGED }, forger, { addOns: [{ reserve: 64000, headers: () => [] }] });
  }, 120_000);
  afterAll(() => desk?.close());

  const verify = (name: string, bytes: Uint8Array) => verifyBytes(desk, dir, name, bytes);

  it('the genuine file passes, trusted', async () => {
    const v = await verify('genuine.png', genuine);
    expect(v.checks.c2pa).toMatchObject({ status: 'pass', trusted: true });
  });

  it('the forgery without a decoy is not trusted (the baseline)', async () => {
    const v = await verify('plain.png', forged);
    expect(v.checks.c2pa).toMatchObject({ status: 'fail', valid: true, trusted: false });
  });

  it('a decoy manifest of unknown type does not lend the org chain to the guard', async () => {
    const v = await verify('decoy-random.png', withDecoyManifest(forged, genuine, 'random'));
    expect(v.checks.c2pa).toMatchObject({ status: 'fail', valid: true, trusted: false });
    expect(v.metadata?.source).not.toBe('credentials');
  });

  it('the genuine manifest copied whole, relabelled with the active label, ahead of it: refused, never trusted', async () => {
    const v = await verify('decoy-c2pa.png', withDecoyManifest(forged, genuine, 'c2pa'));
    expect(v.checks.c2pa).toMatchObject({ status: 'fail', valid: true, trusted: false, reason: 'C2PA_STORE_AMBIGUOUS' });
    expect(v.metadata?.source).not.toBe('credentials');
  });
});
