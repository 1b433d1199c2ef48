// The camera an image's EXIF names (TIFF IFD0 tags 0x010F Make and 0x0110 Model, EXIF 2.32 §4.6.4): the desk's one
// ground for calling a photo a digital capture on its own.
export interface CameraInfo {
  make: string | null;
  model: string | null;
}

/** The camera make and model from an EXIF block (as sharp's metadata().exif gives it); null when it names none. */
export function cameraOf(exif: Uint8Array | undefined): CameraInfo | null {
  const t = ifd0Text(exif, [0x010f, 0x0110]);
  const found: CameraInfo = { make: t.get(0x010f) ?? null, model: t.get(0x0110) ?? null };
  return found.make || found.model ? found : null;
}

/** IFD0's Artist (0x013B) and Copyright (0x8298): a camera's byline and notice, the last fallback for IPTC fields. */
export function exifCredits(exif: Uint8Array | undefined): { creator?: string; copyright?: string } {
  const t = ifd0Text(exif, [0x013b, 0x8298]);
  const artist = t.get(0x013b);
  // Copyright holds the photographer's notice, then NUL and the editor's (EXIF 2.32 §4.6.5): the first is ours
  const copyright = t.get(0x8298)?.split('\0')[0]?.trim();
  return { ...(artist ? { creator: artist } : {}), ...(copyright ? { copyright } : {}) };
}

/** ASCII tags of IFD0 (TIFF 6.0 §2), by tag number; UTF-8 read as such (EXIF 3.0 allows it). */
function ifd0Text(exif: Uint8Array | undefined, tags: number[]): Map<number, string> {
  const found = new Map<number, string>();
  if (!exif || exif.length < 14) return found;
  const b = Buffer.from(exif.buffer, exif.byteOffset, exif.byteLength);
  const tiff = b.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  const order = b.subarray(tiff, tiff + 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return found;
  const le = order === 'II';
  const u16 = (at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  if (u16(tiff + 2) !== 42) return found;
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > b.length) return found;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > b.length) break;
    const tag = u16(entry);
    if (!tags.includes(tag) || (u16(entry + 2) !== 2 && u16(entry + 2) !== 129)) continue; // ASCII or UTF-8
    const n = u32(entry + 4);
    const at = n <= 4 ? entry + 8 : tiff + u32(entry + 8);
    if (at + n > b.length) continue;
    const raw = b.subarray(at, at + n);
    const utf8 = raw.toString('utf8');
    const text = (utf8.includes('\uFFFD') ? raw.toString('latin1') : utf8).replace(/\0+$/, '').trim();
    if (text) found.set(tag, text);
  }
  return found;
}
