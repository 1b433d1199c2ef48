// Taking the C2PA manifest store out of an MP4, so that a new manifest can be written over the same movie with the
// old one as its parent ingredient (publishing). The store is a top-level `uuid` box; cutting it moves every byte
// after it, so the chunk offsets (`stco`, `co64`) that point past it are moved back by its size. A fragmented movie
// (`moof`) keeps offsets elsewhere and is refused.
import { CustodyError } from '../errors.ts';
import { C2PA_UUID, parseBoxes, type Box } from './jumbf.ts';

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'dinf']);

export function withoutMp4ManifestStore(src: Uint8Array): Uint8Array {
  const top = parseBoxes(src, 0, src.length);
  const store = top.find((b) => b.type === 'uuid' && Buffer.from(src.subarray(b.content, b.content + 16)).toString('hex') === C2PA_UUID);
  if (!store) return src;
  if (top.some((b) => b.type === 'moof')) throw new CustodyError('UNSUPPORTED_FORMAT', 'expected an unfragmented MP4 to publish, got a fragmented one (moof boxes)');
  const cut = store.end - store.start;
  const out = Buffer.concat([src.subarray(0, store.start), src.subarray(store.end)]);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const fix = (boxes: Box[]): void => {
    for (const b of boxes) {
      if (CONTAINERS.has(b.type)) fix(parseBoxes(out, b.content, b.end));
      else if (b.type === 'stco' || b.type === 'co64') {
        const n = dv.getUint32(b.content + 4);
        const wide = b.type === 'co64';
        for (let i = 0, at = b.content + 8; i < n; i++, at += wide ? 8 : 4) {
          const v = wide ? Number(dv.getBigUint64(at)) : dv.getUint32(at);
          if (v < store.end) continue;
          if (wide) dv.setBigUint64(at, BigInt(v - cut));
          else dv.setUint32(at, v - cut);
        }
      }
    }
  };
  fix(parseBoxes(out, 0, out.length));
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
