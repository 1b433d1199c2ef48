// The desk's keyring: the vault's data key, once unwrapped, and the org signing keys sealed under it.
import { randomBytes } from 'node:crypto';
import { CustodyError } from '../errors.ts';
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';
import { deleteSealedSecret, getSealedSecret, getWrappedKey, listWrappedKinds, putSealedSecret, putWrappedKey, replaceSealedSecret } from '../store/vault-rows.ts';
import { generateKeyPair, keyId, publicKeyOf, sign } from './ed25519.ts';
import { open, seal, type KeyProtector } from './vault.ts';

export interface SigningKeyInfo {
  id: string;
  algorithm: 'ed25519';
  publicKey: string; // hex
  createdAt: string;
  retiredAt: string | null;
}

export interface Signer {
  keyId: string;
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function listSigningKeys(db: ReadableDB): SigningKeyInfo[] {
  return db.all<{ id: string; algorithm: 'ed25519'; public_key: string; created_at: string; retired_at: string | null }>(
    sql`SELECT id, algorithm, public_key, created_at, retired_at FROM signing_keys ORDER BY created_at`,
  ).map((r) => ({ id: r.id, algorithm: r.algorithm, publicKey: r.public_key, createdAt: r.created_at, retiredAt: r.retired_at }));
}

export class Keyring {
  readonly #db: WritableDB;
  readonly #dataKey: Uint8Array;

  private constructor(db: WritableDB, dataKey: Uint8Array) {
    this.#db = db;
    this.#dataKey = dataKey;
  }

  /** Creates the vault: a fresh data key, wrapped by the given protector. */
  static async create(db: WritableDB, protector: KeyProtector, now: string): Promise<Keyring> {
    if (listWrappedKinds(db).length > 0) throw new CustodyError('ALREADY_INITIALIZED', 'expected a desk without a key vault, got one that has a vault already');
    const dataKey = randomBytes(32);
    putWrappedKey(db, await protector.wrap(dataKey), now);
    return new Keyring(db, dataKey);
  }

  static async unlock(db: WritableDB, protector: KeyProtector): Promise<Keyring> {
    const wrapped = getWrappedKey(db, protector.kind);
    if (!wrapped) {
      const kinds = listWrappedKinds(db);
      throw new CustodyError('KEY_LOCKED', `expected the vault to be unlockable by ${protector.kind}, but it is protected by ${kinds.join(', ') || 'nothing'}`);
    }
    return new Keyring(db, await protector.unwrap(wrapped));
  }

  /** Lets another protector (e.g. the OS keychain) open the vault too. */
  async addProtector(protector: KeyProtector, now: string): Promise<void> {
    putWrappedKey(this.#db, await protector.wrap(this.#dataKey), now);
  }

  putSecret(name: string, secret: Uint8Array, now: string): void {
    putSealedSecret(this.#db, name, seal(this.#dataKey, secret, `custody-secret:${name}`), now);
  }

  /** Seals a secret that may be set again (a service password), replacing the previous one. */
  replaceSecret(name: string, secret: Uint8Array, now: string): void {
    replaceSealedSecret(this.#db, name, seal(this.#dataKey, secret, `custody-secret:${name}`), now);
  }

  /** The secret, or null when the vault has none by that name (or it does not open: altered, or not this vault's). */
  findSecret(name: string): Uint8Array | null {
    const sealed = getSealedSecret(this.#db, name);
    return sealed ? open(this.#dataKey, sealed, `custody-secret:${name}`) : null;
  }

  deleteSecret(name: string): void {
    deleteSealedSecret(this.#db, name);
  }

  /**
   * The signing keys this vault really holds: rows whose sealed private key opens under the vault's data key and
   * gives back the row's public key. A row someone added to the database with a key of their own is not among them.
   */
  heldSigningKeys(): SigningKeyInfo[] {
    return listSigningKeys(this.#db).filter((k) => {
      const row = this.#db.get<{ secret_name: string }>(sql`SELECT secret_name FROM signing_keys WHERE id = ${k.id}`);
      const secret = row ? this.findSecret(row.secret_name) : null;
      if (!secret || secret.length !== 32) return false;
      const held = Buffer.from(publicKeyOf(secret)).toString('hex') === k.publicKey.toLowerCase() && keyId(publicKeyOf(secret)) === k.id;
      secret.fill(0);
      return held;
    });
  }

  getSecret(name: string): Uint8Array {
    const sealed = getSealedSecret(this.#db, name);
    if (!sealed) throw new CustodyError('NOT_FOUND', `expected a secret named ${name} in the vault, but there is none`);
    const plain = open(this.#dataKey, sealed, `custody-secret:${name}`);
    if (!plain) throw new CustodyError('KEY_LOCKED', `the vault secret ${name} does not decrypt: it was altered or sealed under another key`);
    return plain;
  }

  createSigningKey(now: string): SigningKeyInfo {
    const { secretKey, publicKey } = generateKeyPair();
    const id = keyId(publicKey);
    const secretName = `signing-key:${id}`;
    this.#db.transaction(() => {
      this.putSecret(secretName, secretKey, now);
      this.#db.run(sql`UPDATE signing_keys SET retired_at = ${now} WHERE retired_at IS NULL`);
      this.#db.run(sql`INSERT INTO signing_keys (id, algorithm, public_key, secret_name, created_at) VALUES (${id}, 'ed25519', ${Buffer.from(publicKey).toString('hex')}, ${secretName}, ${now})`);
    });
    secretKey.fill(0);
    return { id, algorithm: 'ed25519', publicKey: Buffer.from(publicKey).toString('hex'), createdAt: now, retiredAt: null };
  }

  /** A signing key this vault holds, current or retired (enrolling a desk proves possession of each). */
  signerFor(id: string): Signer {
    const row = this.#db.get<{ secret_name: string }>(sql`SELECT secret_name FROM signing_keys WHERE id = ${id}`);
    if (!row) throw new CustodyError('NOT_FOUND', `expected a signing key ${id} on this desk, but there is none`);
    const secretKey = this.getSecret(row.secret_name);
    return { keyId: id, publicKey: publicKeyOf(secretKey), sign: (m) => sign(m, secretKey) };
  }

  /** The current (not retired) org signing key. */
  signer(): Signer {
    const row = this.#db.get<{ id: string; secret_name: string }>(sql`SELECT id, secret_name FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1`);
    if (!row) throw new CustodyError('NOT_FOUND', 'expected an active signing key on this desk, but there is none (run `custody init`)');
    const secretKey = this.getSecret(row.secret_name);
    const publicKey = publicKeyOf(secretKey);
    return { keyId: row.id, publicKey, sign: (m) => sign(m, secretKey) };
  }
}
