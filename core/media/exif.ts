// The camera an image's EXIF names (TIFF IFD0 tags 0x010F Make and 0x0110 Model, EXIF 2.32 §4.6.4): the desk's one
// ground for calling a photo a digital capture on its own.
export interface CameraInfo {
  make: string | null;
  model: string | null;
}

/** The camera make and model from an EXIF block (as sharp's metadata().exif gives it); null when it names none. */
export function cameraOf(exif: Uint8Array | undefined): CameraInfo | null {
  if (!exif || exif.length < 14) return null;
  const b = Buffer.from(exif.buffer, exif.byteOffset, exif.byteLength);
  const tiff = b.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  const order = b.subarray(tiff, tiff + 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  const u16 = (at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  if (u16(tiff + 2) !== 42) return null;
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > b.length) return null;
  const found: CameraInfo = { make: null, model: null };
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > b.length) break;
    const tag = u16(entry);
    if ((tag !== 0x010f && tag !== 0x0110) || u16(entry + 2) !== 2) continue; // ASCII only
    const n = u32(entry + 4);
    const at = n <= 4 ? entry + 8 : tiff + u32(entry + 8);
    if (at + n > b.length) continue;
    const text = b.subarray(at, at + n).toString('latin1').replace(/\0+$/, '').trim();
    if (text) found[tag === 0x010f ? 'make' : 'model'] = text;
  }
  return found.make || found.model ? found : null;
}
