// The watermark's list Viterbi decoder (conv.ts, viterbiList): paths in metric order, the first the maximum-likelihood
// one, and a CRC-aided list that reads a codeword whose maximum-likelihood path fails the CRC.
import { describe, expect, it } from 'vitest';
import { codedLength, convEncode, pathMetric, viterbiDecode, viterbiList, type ListPath } from '../core/media/watermark/conv.ts';
import { crcMatches, withCrc } from '../core/media/watermark/crc.ts';
import { mulberry32 } from '../core/media/watermark/prng.ts';
import { embedWatermark, extractWatermark } from '../core/media/watermark/codec.ts';
import { EXTRACT_PARAMS, listStats } from '../core/media/watermark/extract.ts';
import { attack, skimagePhotos } from '../bench/watermark-attacks.ts';

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function noisy(msg: Uint8Array, sigma: number, rand: () => number): Float64Array {
  return Float64Array.from(convEncode(msg), (c) => (c ? 1 : -1) + sigma * gaussian(rand));
}

function take(soft: Float64Array, bits: number, n: number): ListPath[] {
  const out: ListPath[] = [];
  for (const p of viterbiList(soft, bits)) {
    out.push(p);
    if (out.length >= n) break;
  }
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('list Viterbi decoding', () => {
  it("gives viterbiDecode's path first, with its metric", () => {
    const rand = mulberry32(7);
    for (const sigma of [0, 0.8, 1.3, 2.5]) {
      for (let trial = 0; trial < 8; trial++) {
        const msg = new Uint8Array(152).map(() => (rand() < 0.5 ? 1 : 0));
        const soft = noisy(msg, sigma, rand);
        const [first] = take(soft, 152, 1);
        const ml = viterbiDecode(soft, 152);
        expect(hex(first!.bits), `sigma ${sigma} trial ${trial}`).toBe(hex(ml));
        expect(first!.metric).toBeCloseTo(pathMetric(soft, ml), 6);
      }
    }
  });

  it('lists every message of a short code exactly once, in the order of their metrics', () => {
    const rand = mulberry32(11);
    const bits = 7;
    for (let trial = 0; trial < 4; trial++) {
      const soft = Float64Array.from({ length: codedLength(bits) }, () => gaussian(rand));
      // brute force: all 2^7 messages by their metric
      const all = Array.from({ length: 1 << bits }, (_, v) => {
        const m = new Uint8Array(bits).map((_, i) => (v >> (bits - 1 - i)) & 1);
        return { bits: m, metric: pathMetric(soft, m) };
      }).sort((a, b) => b.metric - a.metric);
      const list = [...viterbiList(soft, bits)];
      expect(list.length).toBe(1 << bits);
      expect(new Set(list.map((p) => hex(p.bits))).size).toBe(1 << bits);
      for (let i = 0; i < list.length; i++) {
        expect(list[i]!.metric, `rank ${i}`).toBeCloseTo(all[i]!.metric, 9);
        expect(list[i]!.metric).toBeCloseTo(pathMetric(soft, list[i]!.bits), 9);
      }
      expect(list.map((p) => hex(p.bits))).toEqual(all.map((p) => hex(p.bits)));
    }
  });

  it('gives paths of a 152-bit message in non-increasing metric order, each its own metric', () => {
    const rand = mulberry32(3);
    const msg = new Uint8Array(152).map(() => (rand() < 0.5 ? 1 : 0));
    const soft = noisy(msg, 1.4, rand);
    const list = take(soft, 152, 200);
    expect(list.length).toBe(200);
    expect(new Set(list.map((p) => hex(p.bits))).size).toBe(200);
    for (let i = 0; i < list.length; i++) {
      expect(list[i]!.metric).toBeCloseTo(pathMetric(soft, list[i]!.bits), 6);
      if (i > 0) expect(list[i]!.metric).toBeLessThanOrEqual(list[i - 1]!.metric + 1e-9);
    }
  });

  it('finds a CRC-checked message whose maximum-likelihood path fails the CRC', () => {
    const rand = mulberry32(23);
    const message = withCrc(new Uint8Array(128).map(() => (rand() < 0.5 ? 1 : 0)));
    const coded = convEncode(message);
    // a competitor one bit off (an error event of the code's free distance, 18 coded bits): the soft values where the
    // two codewords differ are pulled towards the competitor just past the middle, the rest noisy around the truth
    const rival = Uint8Array.from(message);
    rival[60] = 1 - rival[60]!;
    const rivalCoded = convEncode(rival);
    const soft = Float64Array.from(coded, (c, i) => (c ? 1 : -1) + 0.3 * gaussian(rand) * (c === rivalCoded[i] ? 1 : 0));
    for (let i = 0; i < coded.length; i++) if (coded[i] !== rivalCoded[i]) soft[i] = rivalCoded[i] ? 0.1 : -0.1;
    const ml = viterbiDecode(soft, message.length);
    expect(hex(ml)).toBe(hex(rival));
    expect(crcMatches(ml)).toBe(false);
    const list = take(soft, message.length, 16);
    const first = list.findIndex((p) => crcMatches(p.bits));
    expect(first).toBeGreaterThan(0);
    expect(hex(list[first]!.bits)).toBe(hex(message));
  });

  it('stops at the zero-terminated paths there are and checks its input length', () => {
    expect([...viterbiList(new Float64Array(codedLength(3)), 3)].length).toBe(8);
    expect(() => viterbiList(new Float64Array(5), 3).next()).toThrow(/expected/);
  });
});

describe('list decoding in extraction', () => {
  it('reads a copy whose maximum-likelihood paths all fail the CRC (coins.png after rotate5+resize75+jpeg75)', { timeout: 120_000 }, async () => {
    // bench:watermark's third payload of coins.png (one stream over every skimage image, three payloads each) and its
    // attack seed: a copy the search finds (sync score over 7) but read without a CRC match, 29 bits off, before the list
    const rand = mulberry32(20261121);
    let copy = 0;
    let found: { payload: Uint8Array; seed: number } | undefined;
    const photos = await skimagePhotos();
    for (const p of photos) {
      for (let k = 0; k < 3; k++) {
        const payload = new Uint8Array(16).map(() => Math.floor(rand() * 256));
        copy++;
        if (p.name === 'coins.png' && k === 2) found = { payload, seed: 1 + copy };
      }
    }
    const coins = photos.find((p) => p.name === 'coins.png')!;
    const copyOf = await attack(embedWatermark(await coins.load(), found!.payload), 'rotate5+resize75+jpeg75', found!.seed);
    const bitsOff = (r: { payload: Uint8Array | null }): number => {
      if (!r.payload) return 128;
      let d = 0;
      for (let i = 0; i < 16; i++) for (let x = r.payload[i]! ^ found!.payload[i]!; x; x &= x - 1) d++;
      return d;
    };
    const list = EXTRACT_PARAMS.list;
    try {
      EXTRACT_PARAMS.list = 1;
      const off = extractWatermark(copyOf);
      expect(off.checked).toBe(false);
      expect(bitsOff(off)).toBeGreaterThan(6);
    } finally {
      EXTRACT_PARAMS.list = list;
    }
    const hits = listStats.hits;
    const on = extractWatermark(copyOf);
    expect(listStats.hits).toBe(hits + 1);
    expect(listStats.lastRank).toBeGreaterThan(0);
    expect(on.checked).toBe(true);
    expect(bitsOff(on)).toBe(0);
  });
});
