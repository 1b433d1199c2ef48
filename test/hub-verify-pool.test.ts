// The ingest's signature pool (server/ingest/verify-pool.ts): worker threads answer the first bad signature of a
// batch exactly as checking one by one in order would, across slices handled by different workers, and refuse
// malformed keys and signatures instead of padding them.
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { VerifyPool, type SignedItem } from '../server/ingest/verify-pool.ts';

const keys = Array.from({ length: 3 }, () => generateKeyPairSync('ed25519'));
const raw = (k: (typeof keys)[number]) => (k.publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12).toString('hex');

function items(n: number): SignedItem[] {
  return Array.from({ length: n }, (_x, i) => {
    const k = keys[i % keys.length]!;
    const message = Buffer.from(`record ${i}|${'x'.repeat(i % 50)}`);
    return { publicKey: raw(k), signature: sign(null, message, k.privateKey).toString('hex'), message };
  });
}
const flip = (it: SignedItem): SignedItem => ({ ...it, signature: (it.signature[0] === '0' ? '1' : '0') + it.signature.slice(1) });

describe('VerifyPool', () => {
  const pool = new VerifyPool(3);
  afterAll(() => pool.close());

  it('answers -1 when every signature verifies, and the least bad index otherwise', async () => {
    const good = items(400);
    expect(await pool.firstBad(good)).toBe(-1);
    expect(await pool.firstBad(good.map((x, i) => (i === 300 ? flip(x) : x)))).toBe(300);
    // Bad ones in several slices (64 a slice): the first in batch order wins, whichever worker answers first.
    expect(await pool.firstBad(good.map((x, i) => (i === 399 || i === 130 || i === 131 || i === 7 ? flip(x) : x)))).toBe(7);
    expect(await pool.firstBad(good.map((x, i) => (i === 0 ? flip(x) : x)))).toBe(0);
    // Another message under a valid signature, and a valid signature under another desk's key.
    expect(await pool.firstBad(good.map((x, i) => (i === 65 ? { ...x, message: Buffer.from('other') } : x)))).toBe(65);
    expect(await pool.firstBad(good.map((x, i) => (i === 200 ? { ...x, publicKey: raw(keys[(i + 1) % 3]!) } : x)))).toBe(200);
  });

  it('refuses malformed keys and signatures, including an all-zero key', async () => {
    const good = items(10);
    expect(await pool.firstBad(good.map((x, i) => (i === 4 ? { ...x, publicKey: x.publicKey.slice(2) } : x)))).toBe(4);
    expect(await pool.firstBad(good.map((x, i) => (i === 5 ? { ...x, signature: x.signature + '00' } : x)))).toBe(5);
    expect(await pool.firstBad(good.map((x, i) => (i === 6 ? { ...x, publicKey: 'zz'.repeat(32) } : x)))).toBe(6);
    expect(await pool.firstBad(good.map((x, i) => (i === 3 ? { ...x, publicKey: '00'.repeat(32), signature: '00'.repeat(64) } : x)))).toBe(3);
    expect(await pool.firstBad([])).toBe(-1);
  });

  it('serves concurrent batches and starts new workers after close', async () => {
    const a = items(300);
    const b = items(300).map((x, i) => (i === 123 ? flip(x) : x));
    expect(await Promise.all([pool.firstBad(a), pool.firstBad(b), pool.firstBad(a)])).toEqual([-1, 123, -1]);
    await pool.close();
    expect(await pool.firstBad(b)).toBe(123);
  });
});
