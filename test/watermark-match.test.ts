// Matching known payloads (match.ts): a reshared copy of a web-sized photo keeps too little of its mark to be read
// blind, but enough of its own record's whole pattern to be told from other records'. Real scikit-image photographs
// through the bench's own attack (sharp's crop, resize, JPEG and WebP).
import { describe, expect, it } from 'vitest';
import { embedWatermark, extractWatermark, matchWatermarkIn } from '../core/media/watermark/codec.ts';
import { MATCH_PARAMS, payloadPattern } from '../core/media/watermark/match.ts';
import { wasmFftMemoryBytes } from '../core/media/watermark/fft.ts';
import { attack, pngOf, skimagePhotos } from '../bench/watermark-attacks.ts';
import { imageSignals } from '../core/provenance/image-signals.ts';

const bytes = (seed: number): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + seed * 101 + 11) & 255);
const own = bytes(1);
const decoys = [bytes(2), bytes(3), bytes(4)];

async function photo(name: string) {
  return (await (await skimagePhotos()).find((p) => p.name === name)!.load());
}

describe('matching a copy against known payloads', () => {
  it('finds the record of a reshared copy that blind extraction cannot read, and no record in a copy of another', { timeout: 120_000 }, async () => {
    const img = await photo('camera.png');
    // crop 10 %, halve, JPEG 70, then WebP 75: a 512-px photo becomes a 243-px copy
    const copy = await attack(embedWatermark(img, own), 'reshare', 1);
    expect(extractWatermark(copy).payload).toBeNull();

    const r = matchWatermarkIn(copy, [decoys[0]!, own, decoys[1]!, decoys[2]!]);
    expect(r.refined).toBe(true);
    expect(r.match?.index).toBe(1);
    expect(r.match!.z).toBeGreaterThanOrEqual(MATCH_PARAMS.threshold);
    expect(r.match!.mirrored).toBe(false);
    // the others score as noise
    for (const i of [0, 2, 3]) expect(r.scores[i]!).toBeLessThan(MATCH_PARAMS.threshold - 1);

    // the same copy against other records' payloads only: it carries a Custody mark, but none of theirs
    expect(matchWatermarkIn(copy, decoys).match).toBeNull();
  });

  it('matches a mark found by its sync pattern alone, whose payload failed its checksum, against the lookalike records', { timeout: 120_000 }, async () => {
    // a reshare of cell.png whose sync pattern scores over the threshold while its payload reads 64 bits off: one
    // copy in about 200 of the reshares of 15 photographs (a scratch search over payloads and attack seeds)
    const mine = bytes(4);
    const hex = Buffer.from(mine).toString('hex');
    const png = await pngOf(await attack(embedWatermark(await photo('cell.png'), mine), 'reshare', 4));
    const alone = await imageSignals(png);
    expect(alone.watermark!.detected).toBe(true);
    expect(alone.watermark!.matched).toBeUndefined();
    expect(alone.watermark!.payload).not.toBe(hex);
    expect(alone.watermark!.score).toBeGreaterThanOrEqual(alone.watermark!.threshold);

    // (decoys[2] is bytes(4): other records' payloads here)
    const others = [bytes(20), bytes(21), bytes(22)].map((d) => Buffer.from(d).toString('hex'));
    const s = await imageSignals(png, undefined, { candidates: async () => [others[0]!, hex, others[1]!] });
    expect(s.watermark).toMatchObject({ detected: true, matched: true, payload: hex, deep: false });
    // none of them its own: the unchecked reading stands, and no deeper search runs for a mark whose sync was found
    const none = await imageSignals(png, undefined, { candidates: async () => others, mayDeep: async () => { throw new Error('expected no deep search'); } });
    expect(none.watermark).toMatchObject({ detected: true, payload: alone.watermark!.payload, deep: false });
    expect(none.watermark!.matched).toBeUndefined();
  });

  it('finds the record of a mirrored reshare', { timeout: 120_000 }, async () => {
    const img = await photo('gravel.png');
    const copy = await attack(embedWatermark(img, own), 'mirror+reshare' as Parameters<typeof attack>[1], 1);
    const r = matchWatermarkIn(copy, [own, ...decoys]);
    expect(r.match?.index).toBe(0);
    expect(r.match!.mirrored).toBe(true);
  });

  it('does not match another record on a strongly marked copy: the sync slots every mark shares are left out', { timeout: 60_000 }, async () => {
    const img = await photo('retina.jpg');
    const marked = embedWatermark(img, own);
    const r = matchWatermarkIn(marked, [own, ...decoys]);
    expect(r.match?.index).toBe(0);
    // with the sync slots in the patterns, a decoy scored 7.5 against a reshare of this photo and more on the copy itself
    for (const i of [1, 2, 3]) expect(r.scores[i]!).toBeLessThan(6.5);
  });

  it('matches nothing in unmarked photos, and refines nothing where no pair stands out of the noise', { timeout: 120_000 }, async () => {
    for (const name of ['camera.png', 'coffee.png']) {
      const img = await photo(name);
      for (const copy of [img, await attack(img, 'reshare', 1)]) {
        const r = matchWatermarkIn(copy, [own, ...decoys]);
        expect(r.match).toBeNull();
        // the refinement (most of a matching's time) is skipped: each candidate's score is its best coarse one
        expect(r.refined).toBe(false);
        for (const z of r.scores) expect(z).toBeLessThan(MATCH_PARAMS.refineFloor);
        expect(Math.max(...r.scores)).toBeGreaterThan(3);
      }
    }
  });

  it('builds a payload pattern from its coded slots only, at unit energy', () => {
    const p = payloadPattern(own);
    let e = 0;
    for (const x of p) e += x * x;
    expect(e).toBeCloseTo(1, 9);
    // two payloads' patterns are nearly orthogonal (with the sync slots in, they would share an eighth of their energy)
    const q = payloadPattern(decoys[0]!);
    let dot = 0;
    for (let i = 0; i < p.length; i++) dot += p[i]! * q[i]!;
    expect(Math.abs(dot)).toBeLessThan(0.08);
  });

  it("keeps the transforms' memory bounded over many matchings, with the same scores once the candidates were moved out", { timeout: 120_000 }, async () => {
    // each matching makes its candidates' spectra; they were once kept in the WebAssembly memory for good, a megabyte
    // a matching, until the memory could grow no more and every transform failed (fft.ts, SpectrumSlots)
    const copy = await attack(embedWatermark(await photo('camera.png'), own), 'reshare', 1);
    const first = matchWatermarkIn(copy, [own, ...decoys]).scores;
    const before = wasmFftMemoryBytes();
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 12; i++) matchWatermarkIn(copy, [0, 1, 2, 3].map((j) => bytes(10 + 4 * i + j)));
    expect(wasmFftMemoryBytes()).toBe(before);
    expect(matchWatermarkIn(copy, [own, ...decoys]).scores).toEqual(first);
  });

  it('refuses a payload of the wrong length', async () => {
    const img = await photo('camera.png');
    expect(() => matchWatermarkIn(img, [new Uint8Array(8)])).toThrow(/16-byte watermark payload/);
  });
});
