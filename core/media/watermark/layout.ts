// Where the watermark lives: a TILE×TILE tile of the working grid (the Haar LL band at working scale), made of
// 8×8 DCT blocks; in each block a set of mid-frequency coefficients are the tile's "slots". A fixed pseudo-random
// subset of slots carries a known sync pattern (to find the tile's offset, scale and rotation again and to decide
// whether a watermark is there at all); the others carry the convolutionally coded payload, each coded bit on
// several slots in different blocks. The tile repeats over the whole grid, so every coded bit is spread over the
// whole image and any crop that keeps a tile's worth of area still holds all of it.

import { B, blockIdct } from './dct.ts';
import { codedLength } from './conv.ts';
import { CRC_BITS } from './crc.ts';
import { mulberry32, permutation } from './prng.ts';

// 128 measured better than 64 (median coded-bit SNR after jpeg50 1.45 → 2.06 at equal energy): four times the slots
// per tile give the informed embedder more freedom; the extractor still needs only a 128×128 patch of the grid.
export const TILE = 128;
export const PAYLOAD_BITS = 128;
/** payload bits followed by their CRC-24 */
export const MESSAGE_BITS = PAYLOAD_BITS + CRC_BITS;
export const CODED_BITS = codedLength(MESSAGE_BITS);

/** Mid-frequency DCT positions (u, v) used in every block: low enough to survive JPEG and downscaling. */
export const COEFFS: ReadonlyArray<readonly [number, number]> = (() => {
  const out: [number, number][] = [];
  // u + v in 1..3 or 1..4 measured worse (host interference grows faster than the attacks' losses shrink)
  for (let s = 2; s <= 4; s++) for (let u = 0; u <= s; u++) out.push([u, s - u]);
  return out;
})();

const BLOCKS = (TILE / B) ** 2;
export const SLOTS = BLOCKS * COEFFS.length;
// the CRC, not the sync peak, now decides most detections, so sync needs only enough energy to find crops and
// rotations: 384 of 3072 slots (256 lost crop10/crop25 on textures, 512 cost the payload 10 % of its energy)
export const SYNC_SLOTS = 384;

export interface Layout {
  /** tile index (row-major in the TILE×TILE coefficient tile) of each slot */
  pos: Int32Array;
  /** ±1 pseudo-random sign of each slot */
  sign: Float64Array;
  /** coded bit carried by each slot, or -1 for sync */
  bit: Int32Array;
  /** spatial sync pattern (sync slots only), unit energy */
  syncPattern: Float64Array;
}

function build(): Layout {
  const rand = mulberry32(0xc0575d1);
  const pos = new Int32Array(SLOTS);
  let i = 0;
  for (let by = 0; by < TILE; by += B) {
    for (let bx = 0; bx < TILE; bx += B) {
      for (const [u, v] of COEFFS) pos[i++] = (by + v) * TILE + bx + u;
    }
  }
  const sign = new Float64Array(SLOTS);
  for (let k = 0; k < SLOTS; k++) sign[k] = rand() < 0.5 ? -1 : 1;
  const order = permutation(SLOTS, rand);
  const bit = new Int32Array(SLOTS);
  for (let k = 0; k < SLOTS; k++) {
    const slot = order[k]!;
    bit[slot] = k < SYNC_SLOTS ? -1 : (k - SYNC_SLOTS) % CODED_BITS;
  }
  const coef = new Float64Array(TILE * TILE);
  for (let k = 0; k < SLOTS; k++) if (bit[k] === -1) coef[pos[k]!] = sign[k]!;
  const syncPattern = blockIdct(coef, TILE);
  const e = Math.sqrt(syncPattern.reduce((s, x) => s + x * x, 0));
  for (let k = 0; k < syncPattern.length; k++) syncPattern[k] = syncPattern[k]! / e;
  return { pos, sign, bit, syncPattern };
}

export const LAYOUT = build();

/** A tile mirrored left-right about its column 0: F(x, y) = T(−x mod TILE, y). */
export function mirrorTile(tile: Float64Array): Float64Array {
  const out = new Float64Array(TILE * TILE);
  const m = TILE - 1;
  for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) out[y * TILE + x] = tile[y * TILE + ((TILE - x) & m)]!;
  return out;
}
