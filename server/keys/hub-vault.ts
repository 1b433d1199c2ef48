// The hub's private keys at rest, kept as the desk keeps its own (core/crypto/vault.ts): each secret sealed with
// AES-256-GCM under one random data key, and that data key wrapped by a key derived from the hub's passphrase
// (scrypt). The database alone opens nothing. Several hub processes share one vault: the first to start creates it,
// the others find it (an insert that loses the race reads the winner's row).
import { randomBytes } from 'node:crypto';
import { CustodyError } from '../../core/errors.ts';
import { open, seal, type KeyProtector } from '../../core/crypto/vault.ts';
import type { HubKysely } from '../db/schema.ts';

const aad = (name: string) => `custody-hub-secret:${name}`;

export class HubVault {
  readonly #db: HubKysely;
  readonly #dek: Uint8Array;

  private constructor(db: HubKysely, dek: Uint8Array) {
    this.#db = db;
    this.#dek = dek;
  }

  /**
   * Unlocks the vault with `protector`, creating it on first use (the protector then refuses a weak passphrase:
   * WEAK_PASSPHRASE). A passphrase that does not open it: KEY_LOCKED.
   */
  static async open(db: HubKysely, protector: KeyProtector, now = new Date()): Promise<HubVault> {
    let row = await db.selectFrom('hub_vault').selectAll().where('kind', '=', protector.kind).executeTakeFirst();
    if (!row) {
      const wrapped = await protector.wrap(randomBytes(32));
      await db.insertInto('hub_vault').values({ kind: wrapped.kind, params: JSON.stringify(wrapped.params), blob: wrapped.blob, created_at: now.toISOString() })
        .onConflict((oc) => oc.column('kind').doNothing()).execute();
      row = await db.selectFrom('hub_vault').selectAll().where('kind', '=', protector.kind).executeTakeFirstOrThrow();
    }
    const dek = await protector.unwrap({ kind: row.kind, params: JSON.parse(row.params) as Record<string, unknown>, blob: row.blob }).catch((e: unknown) => {
      if (e instanceof CustodyError && e.code === 'KEY_LOCKED') throw new CustodyError('KEY_LOCKED', "expected the passphrase that protects the hub's keys (CUSTODY_HUB_PASSPHRASE), got one that does not open them");
      throw e;
    });
    return new HubVault(db, dek);
  }

  /** The secret's public half, readable without the passphrase; null when there is no such secret. */
  static async publicOf(db: HubKysely, name: string): Promise<string | null> {
    return (await db.selectFrom('hub_secrets').select('public').where('name', '=', name).executeTakeFirst())?.public ?? null;
  }

  async get(name: string): Promise<{ secret: Uint8Array; public: string | null } | null> {
    const row = await this.#db.selectFrom('hub_secrets').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) return null;
    const secret = open(this.#dek, { nonce: row.nonce, ciphertext: row.ciphertext }, aad(name));
    if (!secret) throw new CustodyError('INTEGRITY_FAILED', `expected the hub secret ${name} to open with the vault's key, got one that was changed or sealed by another vault`);
    return { secret, public: row.public };
  }

  /**
   * Stores a secret under `name` unless one is there already, and answers the stored one: when two processes create
   * a key at once, both end up using the same.
   */
  async putIfAbsent(name: string, secret: Uint8Array, publicPart: string | null, now = new Date()): Promise<{ secret: Uint8Array; public: string | null }> {
    const s = seal(this.#dek, secret, aad(name));
    await this.#db.insertInto('hub_secrets').values({ name, public: publicPart, nonce: s.nonce, ciphertext: s.ciphertext, created_at: now.toISOString() })
      .onConflict((oc) => oc.column('name').doNothing()).execute();
    return (await this.get(name))!;
  }
}
