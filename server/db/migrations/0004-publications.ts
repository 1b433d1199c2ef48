// Publications (issue 17): a desk pushes each publication it made (the signed publication statement: which record,
// the published file's SHA-256, who approved it), so verification through the hub recognises the published file by
// its exact bytes as it recognises a record's original and signed output.
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../schema.ts';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const strict = <T extends { modifyEnd(s: ReturnType<typeof sql>): T }>(t: T): T => (dialect === 'sqlite' ? t.modifyEnd(sql`strict`) : t);
  await strict(db.schema.createTable('publications')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('desk_id', 'text', (c) => c.notNull())
    // The published file's SHA-256 and the signed output it was made from (the statement's `sha256` and `source`).
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('source_sha256', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text', (c) => c.notNull())
    .addColumn('published_by', 'text', (c) => c.notNull())
    // The statement as signed (RFC 8785 canonical JSON), its Ed25519 signature and key.
    .addColumn('statement', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('publications_pk', ['tenant_id', 'id'])
    .addForeignKeyConstraint('publications_record', ['tenant_id', 'record_id'], 'records', ['tenant_id', 'id'])).execute();
  await db.schema.createIndex('publications_sha256').on('publications').columns(['sha256']).execute();
}
