import { createHash, hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function sha256Hex(data: Uint8Array | string): string {
  // node:crypto's one-shot hash: no Hash object per call (hub ingest hashes every record's body).
  return hash('sha256', data, 'hex');
}

/** SHA-256 of a file, streamed so that multi-gigabyte videos never sit in memory; `onBytes` hears the bytes hashed so far. */
export async function sha256File(path: string, onBytes?: (hashed: number) => void): Promise<string> {
  const h = createHash('sha256');
  let hashed = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    hashed += (chunk as Buffer).length;
    onBytes?.(hashed);
  }
  return h.digest('hex');
}

/** Set bits in a 32-bit word (SWAR, Hacker's Delight §5-1): the Hamming distance of two words is popcount32(a ^ b). */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function hamming(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`hamming: expected equal lengths, got ${a.length} and ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    let x = (a[i] ?? 0) ^ (b[i] ?? 0);
    while (x) {
      x &= x - 1;
      d++;
    }
  }
  return d;
}

export function hammingHex(a: string, b: string): number {
  return hamming(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
