import { createHash, hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

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

/** SHA-256 and size of an open file, from the handle's current position to its end (a fresh handle: the whole file). */
export async function sha256Handle(fh: FileHandle): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  let size = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) return { sha256: h.digest('hex'), size };
    h.update(buf.subarray(0, bytesRead));
    size += bytesRead;
  }
}

const COPY_CHUNK = 4 << 20;

/**
 * Copies `input` to `output` from their current positions to the end of `input`, hashing the bytes as they go: a
 * copy and its SHA-256 for one read. `onBytes` hears the bytes copied so far, and may throw to stop the copy.
 */
export async function copyHashing(input: FileHandle, output: FileHandle, onBytes?: (copied: number) => void): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(COPY_CHUNK);
  let size = 0;
  for (;;) {
    const { bytesRead } = await input.read(buf, 0, COPY_CHUNK, null);
    if (bytesRead === 0) return { sha256: h.digest('hex'), size };
    size += bytesRead;
    onBytes?.(size);
    h.update(buf.subarray(0, bytesRead));
    let off = 0;
    while (off < bytesRead) off += (await output.write(buf, off, bytesRead - off)).bytesWritten;
  }
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
