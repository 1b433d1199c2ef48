// Which media Custody can credential, and the check that bytes are what their MIME type says.
import { CustodyError } from '../errors.ts';
import { sniff, type MediaFormat } from '../media/detect.ts';
import { isC2paMime, type C2paMime } from './manifest.ts';

const SNIFFED: Record<C2paMime, MediaFormat> = { 'image/jpeg': 'jpeg', 'image/png': 'png', 'image/webp': 'webp', 'video/mp4': 'mp4' };

/** The C2PA MIME type of some bytes by their magic numbers; null when Custody cannot credential that format. */
export function detectC2paMime(bytes: Uint8Array): C2paMime | null {
  const found = sniff(bytes.subarray(0, 32));
  for (const [mime, format] of Object.entries(SNIFFED) as [C2paMime, MediaFormat][]) if (format === found) return mime;
  return null;
}

/** Refuses a MIME type Custody cannot credential, or bytes that are not of that type. */
export function checkMedia(bytes: Uint8Array, mime: string): asserts mime is C2paMime {
  if (!isC2paMime(mime)) {
    throw new CustodyError(
      'UNSUPPORTED_FORMAT',
      `expected image/jpeg, image/png, image/webp or video/mp4 for Content Credentials, got ${JSON.stringify(mime)}`,
    );
  }
  if (!(bytes instanceof Uint8Array)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected the media as a Uint8Array, got ${typeof bytes}`);
  }
  const found = sniff(bytes.subarray(0, 32));
  if (found !== SNIFFED[mime]) {
    throw new CustodyError('INVALID_ARGUMENT', `expected ${mime} bytes, got ${found ? `${found} data` : 'data of no known format'}`, {
      mime,
      detected: found,
    });
  }
}
