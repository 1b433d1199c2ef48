// The anchoring worker's state (docs/anchoring.md "The anchoring worker"): one row per checkpoint and chain, moving
// open → submitted (nonce, transaction hash, the raw signed transaction) → confirmed (block), and the lease that
// lets one hub process at a time anchor.
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../schema.ts';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const strict = <T extends { modifyEnd(s: ReturnType<typeof sql>): T }>(t: T): T => (dialect === 'sqlite' ? t.modifyEnd(sql`strict`) : t);

  // Keyed by chain and contract too: pointing the hub at another chain starts its batches afresh, and a proof names
  // only the chain the hub is configured with.
  await strict(db.schema.createTable('anchor_batches')
    .addColumn('chain_id', 'integer', (c) => c.notNull())
    .addColumn('contract', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('root', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('open', 'submitted', 'confirmed', 'failed')`))
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('nonce', 'integer')
    .addColumn('tx_hash', 'text')
    .addColumn('raw_tx', 'text')
    .addColumn('submitted_block', 'integer')
    .addColumn('block_number', 'integer')
    .addColumn('block_hash', 'text')
    .addColumn('block_timestamp', 'text')
    .addColumn('sends', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('anchor_batches_pk', ['chain_id', 'contract', 'tenant_id', 'size'])).execute();
  await db.schema.createIndex('anchor_batches_pending').on('anchor_batches').columns(['chain_id', 'contract', 'state']).execute();

  await strict(db.schema.createTable('anchor_locks')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())).execute();
}
