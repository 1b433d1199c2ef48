import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hamming, hammingHex, sha256File, sha256Hex } from '../core/media/hash.ts';
import { tempDir } from './helpers/cli.ts';

describe('SHA-256', () => {
  it('matches the FIPS 180-2 known answers', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(sha256Hex('a'.repeat(1_000_000))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('streams files to the same digest as hashing them whole, at every length around the chunk size', async () => {
    const dir = tempDir();
    const chunk = 1 << 20;
    for (const len of [0, 1, 55, 56, 64, 4095, 4096, chunk - 1, chunk, chunk + 1, 3 * chunk + 17]) {
      const data = Buffer.alloc(len);
      for (let i = 0; i < len; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
      const p = join(dir, `f${len}`);
      writeFileSync(p, data);
      expect(await sha256File(p), `length ${len}`).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });
});

describe('Hamming distance', () => {
  it('counts differing bits', () => {
    expect(hamming(new Uint8Array([0b1010, 0xff]), new Uint8Array([0b0101, 0x0f]))).toBe(8);
    expect(hammingHex('ffffffffffffffff', '0000000000000000')).toBe(64);
    expect(hammingHex('c2924c5532bddfc8', 'c2924c5532bddfc8')).toBe(0);
  });

  it('refuses inputs of different lengths', () => {
    expect(() => hamming(new Uint8Array(2), new Uint8Array(3))).toThrow(/equal lengths/);
  });
});
