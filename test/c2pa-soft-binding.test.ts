// The soft-binding assertion as it lies in the manifest store, decoded with cbor-x from the file's own bytes (not
// through c2pa-rs's JSON view, which cannot tell a byte string from an array). C2PA 2.x soft-binding-map requires
// `"pad": bytes` (not optional) and types a block's `value` as bstr; c2pa-wasm 0.13 takes assertions as JSON only,
// so the desk writes `pad` as an empty array and `value` as hex text (docs/timestamps.md, "The soft binding's pad").
// This pins what is written, so that a c2pa-wasm able to take byte strings turns it red and the desk can follow.
import { decode } from 'cbor-x';
import { beforeAll, describe, expect, it } from 'vitest';
import { embedManifest } from '../core/c2pa/embed.ts';
import { readRawManifests } from '../core/c2pa/jumbf.ts';
import { DIGITAL_CAPTURE } from '../core/c2pa/manifest.ts';
import { createSigner, type C2paSigner } from '../core/c2pa/signer.ts';
import { imageSamples, orgPki, type Samples } from './fixtures/c2pa.ts';

let samples: Samples;
let signer: C2paSigner;

beforeAll(async () => {
  samples = await imageSamples();
  const pki = await orgPki('ed25519');
  signer = await createSigner({ chainPem: pki.signingCertPem, keyPkcs8: pki.signingKeyPkcs8 });
}, 60_000);

describe('the c2pa.soft-binding assertion in the store', () => {
  it('names the watermark: alg, one whole-asset block with the payload, and pad (written as an empty array, not the bstr C2PA 2.x wants)', async () => {
    const payloadHex = '00112233445566778899aabbccddeeff';
    const bytes = await embedManifest(samples['image/jpeg'], 'image/jpeg', {
      digitalSourceType: DIGITAL_CAPTURE, title: 'soft binding',
      actions: [{ action: 'c2pa.watermarked.bound', when: '2026-12-04T03:00:00.000Z' }],
      softBinding: { payloadHex },
    }, signer);
    const active = readRawManifests(bytes, 'image/jpeg')!.at(-1)!;
    const box = active.assertions.find((a) => a.label === 'c2pa.soft-binding');
    expect(box).toBeDefined();
    const map = decode(box!.content) as Record<string, unknown>;
    expect(map.alg).toMatch(/^[a-z0-9.-]+$/);
    expect(map.blocks).toEqual([{ scope: {}, value: payloadHex }]);
    // the CBOR item under `pad`: major type 4 (array) of length 0, where the CDDL says bytes (major type 2)
    expect(Array.isArray(map.pad)).toBe(true);
    expect(map.pad).toEqual([]);
    const padAt = Buffer.from(box!.content).indexOf(Buffer.from([0x63, 0x70, 0x61, 0x64])); // text(3) "pad"
    expect(box!.content[padAt + 4]).toBe(0x80);
    // and the claim lists it among the assertions the desk made itself
    const claim = decode(active.claim) as { created_assertions: { url: string }[] };
    expect(claim.created_assertions.map((a) => a.url)).toContainEqual(expect.stringMatching(/c2pa\.soft-binding$/));
  });
});
