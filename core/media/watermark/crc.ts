// CRC-24 (OpenPGP, RFC 4880 §6.1: polynomial 0x864CFB, initial value 0xB704CE) over the payload's bits. The
// extractor accepts a candidate reading only if its decoded payload carries a matching CRC: chance passes that
// check once in 2^24, so a reading can be trusted even when the sync peak alone is too weak to prove a mark.

export const CRC_BITS = 24;
const POLY = 0x864cfb;
const INIT = 0xb704ce;

/** CRC-24 of a bit string (0/1, most significant first), as RFC 4880 computes it over the bytes those bits make. */
export function crc24Bits(bits: Uint8Array): number {
  let crc = INIT;
  for (const b of bits) {
    crc ^= (b & 1) << 23;
    crc <<= 1;
    if (crc & 0x1000000) crc ^= POLY;
  }
  return crc & 0xffffff;
}

/** `bits` followed by their CRC-24, most significant bit first. */
export function withCrc(bits: Uint8Array): Uint8Array {
  const out = new Uint8Array(bits.length + CRC_BITS);
  out.set(bits);
  const c = crc24Bits(bits);
  for (let i = 0; i < CRC_BITS; i++) out[bits.length + i] = (c >>> (CRC_BITS - 1 - i)) & 1;
  return out;
}

/** True when the last CRC_BITS of `bits` are the CRC-24 of the rest. */
export function crcMatches(bits: Uint8Array): boolean {
  const n = bits.length - CRC_BITS;
  const c = crc24Bits(bits.subarray(0, n));
  for (let i = 0; i < CRC_BITS; i++) if (bits[n + i] !== ((c >>> (CRC_BITS - 1 - i)) & 1)) return false;
  return true;
}
