// npm run bench:unlock: what the scrypt cost (core/crypto/vault.ts DEFAULT_SCRYPT, OWASP's floor) means in time:
// a vault unlock and a password check at the default cost, 5 rounds each after a warm-up, median and range.
import { randomBytes } from 'node:crypto';
import { DEFAULT_SCRYPT, PassphraseProtector } from '../core/crypto/vault.ts';
import { DEFAULT_PASSWORD_SCRYPT, hashPassword, verifyPassword } from '../core/directory/passwords.ts';

const ROUNDS = 5;

async function time(fn: () => Promise<unknown>): Promise<{ median: number; min: number; max: number }> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ROUNDS / 2)]!, min: ms[0]!, max: ms[ROUNDS - 1]! };
}

const fmt = (t: { median: number; min: number; max: number }) => `${t.median.toFixed(0)} ms (${t.min.toFixed(0)}–${t.max.toFixed(0)})`;
const protector = new PassphraseProtector('cobalt orchard tide lantern');
const wrapped = await protector.wrap(randomBytes(32));
const hash = await hashPassword('ada-tidal-lantern-42');
const p = DEFAULT_SCRYPT;
process.stdout.write(`scrypt N=2^${Math.log2(p.N)} r=${p.r} p=${p.p} (${(128 * p.N * p.r) / 2 ** 20} MiB), node ${process.version}\n`);
process.stdout.write(`vault unlock:   ${fmt(await time(() => protector.unwrap(wrapped)))}\n`);
const q = DEFAULT_PASSWORD_SCRYPT;
process.stdout.write(`password check: ${fmt(await time(() => verifyPassword('ada-tidal-lantern-42', hash)))} (N=2^${Math.log2(q.N)})\n`);
