// The deep search (extract.ts, deepSearch; plane.ts): a copy squeezed along one side and cropped as well, which the
// quick search every extraction runs does not find, is read when a deep search is asked for, and an unmarked photo
// stays unmarked under it. Real scikit-image photographs through the bench's own attack (sharp's resize and WebP).
import { describe, expect, it } from 'vitest';
import { embedWatermark, extractWatermark, matchWatermarkIn, readWatermark } from '../core/media/watermark/codec.ts';
import { attack, skimagePhotos } from '../bench/watermark-attacks.ts';

const payload = Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 255);
const hex = (b: Uint8Array | null): string | null => (b ? Buffer.from(b).toString('hex') : null);

describe('the deep watermark search', () => {
  it('reads a squeezed and cropped copy that the quick search misses, and nothing in the unmarked photo', { timeout: 120_000 }, async () => {
    const photo = (await skimagePhotos()).find((p) => p.name === 'gravel.png')!;
    const img = await photo.load();
    // height squeezed to 90 %, 10 % cropped, WebP 75: the axes magnified about 1.17 and 1.05
    const copy = await attack(embedWatermark(img, payload), 'squeeze90+crop10+webp75', 1);
    const quick = extractWatermark(copy);
    expect(hex(quick.payload)).not.toBe(hex(payload));
    const deep = extractWatermark(copy, { deep: true });
    expect(deep.detected).toBe(true);
    expect(deep.checked).toBe(true);
    expect(hex(deep.payload)).toBe(hex(payload));

    const unmarked = extractWatermark(img, { deep: true });
    expect(unmarked.detected).toBe(false);
    expect(unmarked.payload).toBeNull();
  });

  it('reads a copy mirrored as well as squeezed and cropped (the plane is searched for the mirrored pattern too)', { timeout: 120_000 }, async () => {
    const photo = (await skimagePhotos()).find((p) => p.name === 'gravel.png')!;
    const copy = await attack(embedWatermark(await photo.load(), payload), 'mirror+squeeze90+crop10+webp75' as Parameters<typeof attack>[1], 1);
    expect(hex(extractWatermark(copy).payload)).not.toBe(hex(payload));
    const deep = extractWatermark(copy, { deep: true });
    expect(deep.checked).toBe(true);
    expect(hex(deep.payload)).toBe(hex(payload));
  });

  it('leaves a copy the quick search reads as the quick search read it', { timeout: 60_000 }, async () => {
    const photo = (await skimagePhotos()).find((p) => p.name === 'moon.png')!;
    const copy = await attack(embedWatermark(await photo.load(), payload), 'squeeze90+crop10+webp75', 1);
    const quick = extractWatermark(copy);
    expect(hex(quick.payload)).toBe(hex(payload));
    const deep = extractWatermark(copy, { deep: true });
    expect(deep).toEqual(quick);
  });

  it('gives on one whitened grid what the separate calls give: the quick search, the matching, then the deep search', { timeout: 120_000 }, async () => {
    const photo = (await skimagePhotos()).find((p) => p.name === 'gravel.png')!;
    const img = await photo.load();
    const copy = await attack(embedWatermark(img, payload), 'squeeze90+crop10+webp75', 1);
    const decoy = Uint8Array.from({ length: 16 }, (_, i) => (i * 91 + 5) & 255);
    for (const [name, pic] of [['the squeezed copy', copy], ['the unmarked photo', img]] as const) {
      const reading = readWatermark(pic);
      expect(reading.extraction, name).toEqual(extractWatermark(pic));
      // the matching in between hands its own grid to the WebAssembly folds; the deep search takes its own back
      expect(reading.match([decoy, payload]), name).toEqual(matchWatermarkIn(pic, [decoy, payload]));
      const deep = extractWatermark(pic, { deep: true });
      expect(reading.deeper(), name).toEqual(deep);
      expect(reading.deeper(), name).toBe(reading.deeper());
    }
    expect(hex(readWatermark(copy).deeper().payload)).toBe(hex(payload));
    // asked for at the start, the deep search has run already
    const asked = readWatermark(copy, { deep: true });
    expect(asked.extraction).toEqual(extractWatermark(copy, { deep: true }));
    expect(asked.deeper()).toBe(asked.extraction);
  });
});
