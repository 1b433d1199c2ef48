// The vault: private keys encrypted at rest. Each secret is sealed with AES-256-GCM under a random data key;
// the data key itself is wrapped by a KeyProtector, which each host implements its own way (the CLI derives a
// key from a passphrase with scrypt; the desktop app asks the OS keychain through Electron's safeStorage).
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { CustodyError } from '../errors.ts';
import { requireStrongSecret } from './strength.ts';

export interface KeyProtector {
  /** Stable name stored with the wrapped key, e.g. 'passphrase-scrypt' or 'os-keychain'. */
  readonly kind: string;
  wrap(dataKey: Uint8Array): Promise<WrappedKey>;
  /** Throws CustodyError KEY_LOCKED when the key cannot be unwrapped (wrong passphrase, keychain refused). */
  unwrap(wrapped: WrappedKey): Promise<Uint8Array>;
}

export interface WrappedKey {
  kind: string;
  params: Record<string, unknown>;
  blob: Uint8Array;
}

export interface Sealed {
  nonce: Uint8Array;
  ciphertext: Uint8Array; // GCM tag appended
}

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Sealed {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  return { nonce, ciphertext };
}

/** Returns null when the key is wrong or the data was altered (GCM authentication failed). */
export function open(key: Uint8Array, sealed: Sealed, aad: string): Uint8Array | null {
  if (sealed.ciphertext.length < 16) return null;
  const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - 16);
  const tag = sealed.ciphertext.subarray(sealed.ciphertext.length - 16);
  try {
    const d = createDecipheriv('aes-256-gcm', key, sealed.nonce);
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(tag);
    return Buffer.concat([d.update(body), d.final()]);
  } catch {
    return null;
  }
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

// OWASP's Password Storage Cheat Sheet floor for scrypt: N=2^17, r=8, p=1, i.e. 128 MiB and (measured, README)
// a few tenths of a second per guess. Tests lower it through the constructors' params.
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 17, r: 8, p: 1 };

/** The 32-byte key scrypt derives from `passphrase` (NFC) and `salt`, on libuv's thread pool. */
export function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem: 256 * params.N * params.r + (1 << 20) }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** The CLI's protector: a key derived from a passphrase with scrypt (RFC 7914). */
export class PassphraseProtector implements KeyProtector {
  readonly kind = 'passphrase-scrypt';
  readonly #passphrase: string;
  readonly #params: ScryptParams;
  /** Derivations started by prepare, by parameters and salt; each is taken by the unwrap that needs it. */
  readonly #prepared = new Map<string, Promise<Buffer>>();

  constructor(passphrase: string, params: ScryptParams = DEFAULT_SCRYPT) {
    if (passphrase.length === 0) throw new CustodyError('KEY_LOCKED', 'expected a passphrase for the key vault, got an empty one');
    this.#passphrase = passphrase;
    this.#params = params;
  }

  /** A passphrase about to protect a vault must be hard to guess (WEAK_PASSPHRASE); one that opens it need not. */
  requireStrong(): void {
    requireStrongSecret(this.#passphrase, 'passphrase');
  }

  async wrap(dataKey: Uint8Array): Promise<WrappedKey> {
    this.requireStrong();
    const salt = randomBytes(16);
    const kek = await deriveKey(this.#passphrase, salt, this.#params);
    const s = seal(kek, dataKey, 'custody-vault-dek');
    return {
      kind: this.kind,
      params: { ...this.#params, salt: Buffer.from(salt).toString('base64'), nonce: Buffer.from(s.nonce).toString('base64') },
      blob: s.ciphertext,
    };
  }

  /**
   * Starts deriving the key that unwraps `wrapped` (scrypt, on libuv's thread pool) without waiting for it; unwrap
   * then takes it. The CLI starts it before loading the desk's modules, so that the two overlap. Nothing is judged
   * here: whether the passphrase opens the vault is found, and a wrong one counted, by unwrap, as before.
   */
  prepare(wrapped: WrappedKey): void {
    const p = wrapped.params as { N: number; r: number; p: number; salt: string };
    const id = `${p.N}/${p.r}/${p.p}/${p.salt}`;
    if (this.#prepared.has(id)) return;
    const kek = deriveKey(this.#passphrase, Buffer.from(p.salt, 'base64'), { N: p.N, r: p.r, p: p.p });
    kek.catch(() => undefined); // an error surfaces in unwrap, which awaits this same promise
    this.#prepared.set(id, kek);
  }

  /** How many derivations prepare started that no unwrap has taken yet. */
  get prepared(): number {
    return this.#prepared.size;
  }

  async unwrap(wrapped: WrappedKey): Promise<Uint8Array> {
    const p = wrapped.params as { N: number; r: number; p: number; salt: string; nonce: string };
    const id = `${p.N}/${p.r}/${p.p}/${p.salt}`;
    const prepared = this.#prepared.get(id);
    this.#prepared.delete(id);
    const kek = await (prepared ?? deriveKey(this.#passphrase, Buffer.from(p.salt, 'base64'), { N: p.N, r: p.r, p: p.p }));
    const dek = open(kek, { nonce: Buffer.from(p.nonce, 'base64'), ciphertext: wrapped.blob }, 'custody-vault-dek');
    if (!dek) throw new CustodyError('KEY_LOCKED', 'expected the passphrase that protects this desk\'s keys, got one that does not open the vault');
    return dek;
  }
}
