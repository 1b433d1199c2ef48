// Password hashes: scrypt (RFC 7914) from node:crypto, in the self-describing form
// `scrypt$N$r$p$salt$hash` (base64), so that the cost can be raised later without invalidating old hashes.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { DEFAULT_SCRYPT, type ScryptParams } from '../crypto/vault.ts';

// The same cost as the vault's passphrase (core/crypto/vault.ts explains the choice): ~0.2 s and 64 MiB a guess.
export const DEFAULT_PASSWORD_SCRYPT: ScryptParams = DEFAULT_SCRYPT;

const KEY_BYTES = 32;

function derive(password: string, salt: Uint8Array, p: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + (1 << 20) }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PASSWORD_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** False for a wrong password and for a malformed hash: it never throws on bad input. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((x) => Number.isSafeInteger(x) && x > 0) || N > 1 << 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length !== KEY_BYTES) return false;
  try {
    return timingSafeEqual(await derive(password, salt, { N, r, p }), expected);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | null = null;

/** Spends the time a real check would, so that an unknown user name does not answer faster than a known one. */
export async function burnPasswordCheck(password: string, params: ScryptParams = DEFAULT_PASSWORD_SCRYPT): Promise<void> {
  dummy ??= hashPassword('custody-no-such-user', params);
  await verifyPassword(password, await dummy);
}
