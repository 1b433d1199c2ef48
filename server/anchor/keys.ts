// The tenants' anchoring keys. The contract lets each log be written by one key only, so every tenant has its own
// Ethereum account; all of them are derived from one secret in the hub vault (HKDF-SHA256, RFC 5869, with the
// tenant id as info), so the hub keeps one secret however many tenants it serves, and an operator registers and
// funds the addresses `custody hub chain-keys` prints.
import { hkdfSync, randomBytes } from 'node:crypto';
import { Wallet, type Provider } from 'ethers';

export const ANCHOR_SECRET = 'chain-anchoring-seed';

/** What the worker needs of the hub vault (server/keys/hub-vault.ts). */
export interface SecretStore {
  get(name: string): Promise<{ secret: Uint8Array } | null>;
  putIfAbsent(name: string, secret: Uint8Array, publicPart: string | null): Promise<{ secret: Uint8Array }>;
}

export class AnchorKeys {
  readonly #seed: Uint8Array;
  readonly #wallets = new Map<string, Wallet>();

  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new Error(`expected a 32-byte anchoring seed, got ${seed.length} bytes`);
    this.#seed = seed;
  }

  /** The seed from the vault, created on first use (two processes creating it at once end up with the same one). */
  static async fromVault(vault: SecretStore): Promise<AnchorKeys> {
    const stored = (await vault.get(ANCHOR_SECRET)) ?? (await vault.putIfAbsent(ANCHOR_SECRET, randomBytes(32), null));
    return new AnchorKeys(stored.secret);
  }

  wallet(tenantId: string, provider: Provider | null = null): Wallet {
    let w = this.#wallets.get(tenantId);
    if (!w) {
      const key = Buffer.from(hkdfSync('sha256', this.#seed, 'custody-anchoring/v1', tenantId, 32));
      w = new Wallet(`0x${key.toString('hex')}`);
      this.#wallets.set(tenantId, w);
    }
    return provider ? w.connect(provider) : w;
  }

  address(tenantId: string): string {
    return this.wallet(tenantId).address;
  }
}
