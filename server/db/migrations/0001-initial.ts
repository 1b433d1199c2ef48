// Tenants, hub admins, API keys, enrolment, desks and their keys, records, manifests and record events.
// One migration for both dialects: Kysely's schema builder writes the SQL, and the few differences (binary
// columns, SQLite's STRICT tables) are chosen by dialect here.
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../schema.ts';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const strict = <T extends { modifyEnd(s: ReturnType<typeof sql>): T }>(t: T): T => (dialect === 'sqlite' ? t.modifyEnd(sql`strict`) : t);
  const blob = dialect === 'sqlite' ? 'blob' : 'bytea';

  await strict(db.schema.createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('record_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())).execute();

  await strict(db.schema.createTable('hub_admins')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())).execute();

  // Only the SHA-256 of a token is kept (sessions, API keys, enrolment): a copy of the database lets no one in.
  await strict(db.schema.createTable('admin_sessions')
    .addColumn('token_sha256', 'text', (c) => c.primaryKey())
    .addColumn('admin_name', 'text', (c) => c.notNull().references('hub_admins.name'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())).execute();

  await strict(db.schema.createTable('desks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('c2pa_root_pem', 'text')
    .addColumn('enrolled_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')).execute();

  await strict(db.schema.createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('desk_id', 'text', (c) => c.references('desks.id'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('token_sha256', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')).execute();

  await strict(db.schema.createTable('enrolment_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('token_sha256', 'text', (c) => c.notNull().unique())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('desk_id', 'text', (c) => c.references('desks.id'))).execute();

  // A public key belongs to one desk on the whole hub: a desk cannot claim another's signatures.
  await strict(db.schema.createTable('desk_keys')
    .addColumn('public_key', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('desk_id', 'text', (c) => c.notNull().references('desks.id'))
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())).execute();

  await strict(db.schema.createTable('records')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('tenant_seq', 'integer', (c) => c.notNull())
    .addColumn('desk_id', 'text', (c) => c.notNull().references('desks.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('image', 'video', 'segment')`))
    .addColumn('parent_id', 'text')
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('output_sha256', 'text')
    .addColumn('phash', 'text', (c) => c.notNull())
    .addColumn('payload', 'text')
    .addColumn('segment_index', 'integer')
    .addColumn('signed_at', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('content_sha256', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('manifest_id', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('api_key_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('records_pk', ['tenant_id', 'id'])
    .addUniqueConstraint('records_tenant_seq', ['tenant_id', 'tenant_seq'])).execute();
  await db.schema.createIndex('records_sha256').on('records').column('sha256').execute();
  await db.schema.createIndex('records_output_sha256').on('records').column('output_sha256').execute();
  await db.schema.createIndex('records_parent').on('records').columns(['tenant_id', 'parent_id']).execute();

  await strict(db.schema.createTable('manifests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('data', blob, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())).execute();

  await strict(db.schema.createTable('record_events')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())).execute();
  await db.schema.createIndex('record_events_record').on('record_events').columns(['tenant_id', 'record_id']).execute();
}
