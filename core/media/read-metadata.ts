// The IPTC fields a file already carries, reconciled as the Metadata Working Group's guidance has it: XMP first,
// then IPTC IIM (JPEG's APP13), then EXIF's Artist and Copyright. What a file says is taken as far as the desk's
// limits allow (cut, not refused: the signer sees and edits it before anything is signed).
import type { Metadata } from 'sharp';
import sharp from './sharp.ts';
import type { ImageFormat } from './detect.ts';
import { exifCredits } from './exif.ts';
import { readIimFields } from './iim.ts';
import { FIELD_LIMITS, MAX_KEYWORD_LENGTH, MAX_KEYWORDS, normaliseMetadata, TEXT_FIELDS, type PhotoMetadata } from './photo-metadata.ts';
import { xmpPacketOf } from './xmp-container.ts';
import { readXmpFields } from './xmp.ts';

type RawFields = Partial<Record<keyof PhotoMetadata, string | string[]>>;

/** Raw fields cut to the limits and cleaned; a digital source type that is not a NewsCodes URI is left out. */
export function fromFile(raw: RawFields): PhotoMetadata {
  const cut: Record<string, unknown> = {};
  for (const f of TEXT_FIELDS) {
    const v = raw[f];
    if (typeof v === 'string') cut[f] = [...v].slice(0, FIELD_LIMITS[f]).join('');
  }
  if (Array.isArray(raw.keywords)) cut.keywords = raw.keywords.slice(0, MAX_KEYWORDS).map((k) => [...k].slice(0, MAX_KEYWORD_LENGTH).join(''));
  const m = normaliseMetadata(cut);
  const dst = raw.digitalSourceType;
  if (typeof dst === 'string') {
    try {
      return { ...m, ...normaliseMetadata({ digitalSourceType: dst }) };
    } catch {
      return m;
    }
  }
  return m;
}

/** The fields of an image's XMP, IIM and EXIF, reconciled. A packet that cannot be parsed counts as none. */
export async function readPhotoMetadata(bytes: Uint8Array, format: ImageFormat): Promise<PhotoMetadata> {
  // a file sharp cannot read still has its own XMP read below
  const meta: Metadata | null = await sharp(bytes, { limitInputPixels: false }).metadata().catch(() => null);
  let xmp: RawFields = {};
  const packet = format === 'jpeg' || format === 'png' || format === 'webp' ? xmpPacketOf(format, bytes) : (meta?.xmp?.toString('utf8') ?? null);
  if (packet) {
    try {
      xmp = readXmpFields(packet);
    } catch {
      xmp = {};
    }
  }
  const iim = format === 'jpeg' ? readIimFields(meta?.iptc) : {};
  const exif = exifCredits(meta?.exif);
  return fromFile({ ...exif, ...iim, ...xmp });
}
