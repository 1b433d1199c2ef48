// The anchoring worker's rows (migration 0003): each state change is one conditional UPDATE that names the state
// it leaves, so a second process (or this one after a restart) that read an older state changes nothing.
import type { AnchorBatchesTable, HubKysely } from '../db/schema.ts';

export interface ChainTarget {
  chainId: number;
  /** Checksummed registry address. */
  contract: string;
}

export type BatchRow = AnchorBatchesTable;

export class BatchStore {
  readonly #db: HubKysely;
  readonly #t: ChainTarget;

  constructor(db: HubKysely, target: ChainTarget) {
    this.#db = db;
    this.#t = target;
  }

  #on() {
    return this.#db.updateTable('anchor_batches').where('chain_id', '=', this.#t.chainId).where('contract', '=', this.#t.contract);
  }

  /** Opens a batch for every signed checkpoint that has none on this chain yet; answers how many it opened. */
  async openNew(senderOf: (tenantId: string) => string, now: Date): Promise<number> {
    const fresh = await this.#db.selectFrom('tlog_checkpoints as c')
      .leftJoin('anchor_batches as b', (j) => j.onRef('b.tenant_id', '=', 'c.tenant_id').onRef('b.size', '=', 'c.size')
        .on('b.chain_id', '=', this.#t.chainId).on('b.contract', '=', this.#t.contract))
      .where('b.size', 'is', null)
      .select(['c.tenant_id', 'c.size', 'c.root'])
      .orderBy('c.tenant_id').orderBy('c.size').limit(1000).execute();
    if (fresh.length === 0) return 0;
    const at = now.toISOString();
    await this.#db.insertInto('anchor_batches').values(fresh.map((c) => ({
      chain_id: this.#t.chainId, contract: this.#t.contract, tenant_id: c.tenant_id, size: c.size,
      root: `0x${Buffer.from(c.root).toString('hex')}`, state: 'open' as const, sender: senderOf(c.tenant_id), sends: 0, created_at: at, updated_at: at,
    }))).onConflict((oc) => oc.columns(['chain_id', 'contract', 'tenant_id', 'size']).doNothing()).execute();
    return fresh.length;
  }

  /** Tenants with batches not yet confirmed or failed. */
  async tenantsWithWork(): Promise<string[]> {
    const rows = await this.#db.selectFrom('anchor_batches').select('tenant_id').distinct()
      .where('chain_id', '=', this.#t.chainId).where('contract', '=', this.#t.contract).where('state', 'in', ['open', 'submitted']).execute();
    return rows.map((r) => r.tenant_id);
  }

  async pending(tenantId: string): Promise<BatchRow[]> {
    return this.#db.selectFrom('anchor_batches').selectAll()
      .where('chain_id', '=', this.#t.chainId).where('contract', '=', this.#t.contract).where('tenant_id', '=', tenantId)
      .where('state', 'in', ['open', 'submitted']).orderBy('size').execute();
  }

  async get(tenantId: string, size: number): Promise<BatchRow | undefined> {
    return this.#db.selectFrom('anchor_batches').selectAll()
      .where('chain_id', '=', this.#t.chainId).where('contract', '=', this.#t.contract).where('tenant_id', '=', tenantId).where('size', '=', size)
      .executeTakeFirst();
  }

  /** The highest nonce signed from `sender` on this chain for a batch still holding it; -1 when none. */
  async lastNonce(sender: string): Promise<number> {
    const r = await this.#db.selectFrom('anchor_batches').select((eb) => eb.fn.max('nonce').as('n'))
      .where('chain_id', '=', this.#t.chainId).where('contract', '=', this.#t.contract).where('sender', '=', sender).executeTakeFirst();
    return r?.n === null || r?.n === undefined ? -1 : Number(r.n);
  }

  /** The checkpoint's signing time, Unix seconds (registerBatch's timestamp). */
  async signedAt(tenantId: string, size: number): Promise<number> {
    const c = await this.#db.selectFrom('tlog_checkpoints').select('signed_at').where('tenant_id', '=', tenantId).where('size', '=', size).executeTakeFirstOrThrow();
    return Math.floor(Date.parse(c.signed_at) / 1000);
  }

  /** open → submitted, or a replacement (submitted → submitted with a new transaction): false when the row moved on. */
  async submit(b: BatchRow, tx: { nonce: number; hash: string; raw: string; atBlock: number }, now: Date): Promise<boolean> {
    const r = await this.#on().where('tenant_id', '=', b.tenant_id).where('size', '=', b.size).where('state', '=', b.state)
      .where('tx_hash', b.tx_hash === null ? 'is' : '=', b.tx_hash)
      .set({ state: 'submitted', nonce: tx.nonce, tx_hash: tx.hash, raw_tx: tx.raw, submitted_block: b.submitted_block ?? tx.atBlock, sends: b.sends + 1, last_error: null, block_number: null, block_hash: null, updated_at: now.toISOString() })
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** The transaction that registered it is in a block (ours, or one found through the contract's event). */
  async mined(b: BatchRow, m: { hash: string; blockNumber: number; blockHash: string }, now: Date): Promise<void> {
    await this.#on().where('tenant_id', '=', b.tenant_id).where('size', '=', b.size).where('state', '=', 'submitted')
      .set({ tx_hash: m.hash, block_number: m.blockNumber, block_hash: m.blockHash, updated_at: now.toISOString() }).execute();
  }

  /** open → submitted with the transaction the chain already holds for it (found by its event), nothing signed. */
  async adopt(b: BatchRow, m: { hash: string; blockNumber: number; blockHash: string }, now: Date): Promise<void> {
    await this.#on().where('tenant_id', '=', b.tenant_id).where('size', '=', b.size).where('state', '=', 'open')
      .set({ state: 'submitted', tx_hash: m.hash, submitted_block: m.blockNumber, block_number: m.blockNumber, block_hash: m.blockHash, updated_at: now.toISOString() }).execute();
  }

  async confirm(b: BatchRow, blockTimestamp: string | null, now: Date): Promise<void> {
    await this.#on().where('tenant_id', '=', b.tenant_id).where('size', '=', b.size).where('state', '=', 'submitted')
      .set({ state: 'confirmed', block_timestamp: blockTimestamp, last_error: null, updated_at: now.toISOString() }).execute();
  }

  /** Back to open: its nonce went to another transaction and the chain does not hold the batch. */
  async reopen(b: BatchRow, why: string, now: Date): Promise<void> {
    await this.#on().where('tenant_id', '=', b.tenant_id).where('size', '=', b.size).where('state', '=', 'submitted').where('tx_hash', '=', b.tx_hash)
      .set({ state: 'open', nonce: null, raw_tx: null, block_number: null, block_hash: null, last_error: why, updated_at: now.toISOString() }).execute();
  }

  /** Per tenant, its confirmed batch of the largest size, when that batch's block is above `block`. */
  async newestConfirmedAbove(block: number): Promise<BatchRow[]> {
    const newest = this.#db.selectFrom('anchor_batches').select(['tenant_id', (eb) => eb.fn.max('size').as('size')])
      .where('chain_id', '=', this.#t.chainId).where('contract', '=', this.#t.contract).where('state', '=', 'confirmed').groupBy('tenant_id').as('n');
    return this.#db.selectFrom('anchor_batches as b').innerJoin(newest, (j) => j.onRef('n.tenant_id', '=', 'b.tenant_id').onRef('n.size', '=', 'b.size'))
      .selectAll('b').where('b.chain_id', '=', this.#t.chainId).where('b.contract', '=', this.#t.contract).where('b.block_number', '>', block).execute();
  }

  /** The tenant's confirmed batches in blocks above `block`, largest size first. */
  async confirmedAbove(tenantId: string, block: number): Promise<BatchRow[]> {
    return this.#db.selectFrom('anchor_batches').selectAll()
      .where('chain_id', '=', this.#t.chainId).where('contract', '=', this.#t.contract).where('tenant_id', '=', tenantId)
      .where('state', '=', 'confirmed').where('block_number', '>', block).orderBy('size', 'desc').execute();
  }

  /**
   * A confirmed batch the chain no longer holds where it was confirmed (a reorganisation): back to open, to be
   * anchored again (its transaction forgotten), or to submitted, to be confirmed in the block that holds it now.
   */
  async unconfirm(b: BatchRow, to: 'open' | 'submitted', why: string, now: Date): Promise<void> {
    await this.#on().where('tenant_id', '=', b.tenant_id).where('size', '=', b.size).where('state', '=', 'confirmed')
      .set(to === 'open'
        ? { state: 'open', nonce: null, raw_tx: null, block_number: null, block_hash: null, block_timestamp: null, last_error: why, updated_at: now.toISOString() }
        : { state: 'submitted', block_number: null, block_hash: null, block_timestamp: null, last_error: why, updated_at: now.toISOString() })
      .execute();
  }

  async fail(b: BatchRow, why: string, now: Date): Promise<void> {
    await this.#on().where('tenant_id', '=', b.tenant_id).where('size', '=', b.size).where('state', 'in', ['open', 'submitted'])
      .set({ state: 'failed', last_error: why, updated_at: now.toISOString() }).execute();
  }

  async noteError(b: BatchRow, why: string, now: Date): Promise<void> {
    await this.#on().where('tenant_id', '=', b.tenant_id).where('size', '=', b.size).set({ last_error: why.slice(0, 500), updated_at: now.toISOString() }).execute();
  }
}
