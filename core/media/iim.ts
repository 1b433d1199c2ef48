// IPTC IIM 4.2 datasets (record 2, "Application") inside a Photoshop image resource block (APP13 "Photoshop 3.0",
// resource 0x0404), as sharp's metadata().iptc hands them over: the older home of a caption, read as a fallback
// when a file has no XMP for a field (the Metadata Working Group's reconciliation order).
import type { PhotoMetadata } from './photo-metadata.ts';

const DATASETS: Record<number, keyof PhotoMetadata> = {
  25: 'keywords', 80: 'creator', 90: 'city', 92: 'sublocation', 95: 'state', 101: 'country', 105: 'headline', 110: 'credit', 116: 'copyright', 120: 'caption',
};

/** The IIM bytes of a Photoshop resource block (or the bare IIM stream when that is what is given). */
function iimStream(b: Buffer): Buffer | null {
  if (b[0] === 0x1c) return b;
  let i = b.subarray(0, 14).toString('latin1') === 'Photoshop 3.0\0' ? 14 : 0;
  while (i + 12 <= b.length) {
    if (b.subarray(i, i + 4).toString('latin1') !== '8BIM') return null;
    const id = b.readUInt16BE(i + 4);
    const nameLen = b[i + 6]!;
    let at = i + 6 + 1 + nameLen;
    if ((1 + nameLen) % 2 === 1) at++; // the Pascal name is padded to an even length
    if (at + 4 > b.length) return null;
    const size = b.readUInt32BE(at);
    const data = at + 4;
    if (data + size > b.length) return null;
    if (id === 0x0404) return b.subarray(data, data + size);
    i = data + size + (size % 2);
  }
  return null;
}

/** The IPTC fields an IIM block holds (raw: not yet cleaned or bounded); {} when there is none. */
export function readIimFields(iptc: Uint8Array | undefined): Partial<Record<keyof PhotoMetadata, string | string[]>> {
  if (!iptc || iptc.length === 0) return {};
  const stream = iimStream(Buffer.from(iptc.buffer, iptc.byteOffset, iptc.byteLength));
  if (!stream) return {};
  const values = new Map<keyof PhotoMetadata, Buffer[]>();
  let utf8 = false;
  for (let i = 0; i + 5 <= stream.length; ) {
    if (stream[i] !== 0x1c) break;
    const record = stream[i + 1]!;
    const dataset = stream[i + 2]!;
    let len = stream.readUInt16BE(i + 3);
    let at = i + 5;
    if (len & 0x8000) {
      // extended dataset: the low bits give how many bytes hold the length
      const n = len & 0x7fff;
      if (n > 4 || at + n > stream.length) break;
      len = stream.subarray(at, at + n).reduce((acc, x) => acc * 256 + x, 0);
      at += n;
    }
    if (at + len > stream.length) break;
    const value = stream.subarray(at, at + len);
    // 1:90 Coded Character Set "ESC % G" declares UTF-8
    if (record === 1 && dataset === 90 && value.equals(Buffer.from([0x1b, 0x25, 0x47]))) utf8 = true;
    const field = record === 2 ? DATASETS[dataset] : undefined;
    if (field) values.set(field, [...(values.get(field) ?? []), value]);
    i = at + len;
  }
  const decode = (v: Buffer) => {
    const s = v.toString('utf8');
    // without the UTF-8 declaration, bytes that are not valid UTF-8 are Latin-1, as IIM writers used to store them
    return utf8 || !s.includes('\uFFFD') ? s : v.toString('latin1');
  };
  const out: Partial<Record<keyof PhotoMetadata, string | string[]>> = {};
  for (const [field, vs] of values) {
    const texts = vs.map(decode).map((s) => s.trim()).filter(Boolean);
    if (texts.length === 0) continue;
    out[field] = field === 'keywords' ? texts : field === 'creator' ? texts.join('; ') : texts[0]!;
  }
  return out;
}
