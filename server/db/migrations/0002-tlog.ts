// The per-organisation transparency log (docs/anchoring.md): its size and right edge, its leaves, the subtree hashes
// at every 8th level, the checkpoints it signed, the audit-log heads desks pushed, and the hub's sealed keys.
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../schema.ts';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const strict = <T extends { modifyEnd(s: ReturnType<typeof sql>): T }>(t: T): T => (dialect === 'sqlite' ? t.modifyEnd(sql`strict`) : t);
  const blob = dialect === 'sqlite' ? 'blob' : 'bytea';

  await strict(db.schema.createTable('tlog_logs')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id'))
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('edge', blob, (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())).execute();

  await strict(db.schema.createTable('tlog_leaves')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('record', 'audit-head')`))
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('leaf_hash', blob, (c) => c.notNull())
    .addColumn('appended_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tlog_leaves_pk', ['tenant_id', 'idx'])
    .addUniqueConstraint('tlog_leaves_ref', ['tenant_id', 'kind', 'ref'])).execute();

  await strict(db.schema.createTable('tlog_nodes')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('hash', blob, (c) => c.notNull())
    .addPrimaryKeyConstraint('tlog_nodes_pk', ['tenant_id', 'level', 'idx'])).execute();

  await strict(db.schema.createTable('tlog_checkpoints')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('root', blob, (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tlog_checkpoints_pk', ['tenant_id', 'size'])).execute();

  await strict(db.schema.createTable('audit_heads')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('desk_id', 'text', (c) => c.notNull().references('desks.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('leaf_idx', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_heads_pk', ['desk_id', 'seq'])).execute();

  // As on the desk (core/crypto/vault.ts): one data key, wrapped by a passphrase-derived key; secrets sealed under it.
  await strict(db.schema.createTable('hub_vault')
    .addColumn('kind', 'text', (c) => c.primaryKey())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('blob', blob, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())).execute();

  await strict(db.schema.createTable('hub_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    /** The public half, when the secret is a private key (a note verifier key, an address). */
    .addColumn('public', 'text')
    .addColumn('nonce', blob, (c) => c.notNull())
    .addColumn('ciphertext', blob, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())).execute();
}
