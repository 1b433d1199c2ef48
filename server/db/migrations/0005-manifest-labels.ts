// Manifest labels are unique per organisation, not across the hub: a label is the desk's to choose, and another
// organisation that saw it (it travels in every copy's Content Credentials) must not be able to claim it first and
// so refuse the genuine record (docs/security.md "The hub"). The table is rebuilt with the primary key
// (tenant_id, id), which SQLite cannot change in place, and an index on the label for resolving a bare label.
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../schema.ts';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const strict = <T extends { modifyEnd(s: ReturnType<typeof sql>): T }>(t: T): T => (dialect === 'sqlite' ? t.modifyEnd(sql`strict`) : t);
  const blob = dialect === 'sqlite' ? 'blob' : 'bytea';

  await strict(db.schema.createTable('manifests_by_tenant')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('data', blob, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('manifests_pk', ['tenant_id', 'id'])).execute();
  await sql`insert into manifests_by_tenant (tenant_id, id, record_id, sha256, data, created_at)
    select tenant_id, id, record_id, sha256, data, created_at from manifests`.execute(db);
  await db.schema.dropTable('manifests').execute();
  await db.schema.alterTable('manifests_by_tenant').renameTo('manifests').execute();
  await db.schema.createIndex('manifests_label').on('manifests').column('id').execute();
}
