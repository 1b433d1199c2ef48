// The tenant row's lock: held by every transaction that appends to a tenant's sequences (records' tenant_seq, the
// transparency log's leaves), so both are dense and in commit order. PostgreSQL: SELECT … FOR UPDATE; SQLite has
// one writer, and a no-op UPDATE takes the write lock at once instead of at the first insert.
import { sql } from 'kysely';
import type { Dialect, HubKysely } from '../db/schema.ts';

/** Locks the tenant for the rest of `trx`; answers its record_count (the last tenant_seq handed out). */
export async function lockTenant(trx: HubKysely, dialect: Dialect, tenantId: string): Promise<number> {
  if (dialect === 'postgres') {
    return (await trx.selectFrom('tenants').select('record_count').where('id', '=', tenantId).forUpdate().executeTakeFirstOrThrow()).record_count;
  }
  await trx.updateTable('tenants').set({ record_count: sql`record_count` }).where('id', '=', tenantId).execute();
  return (await trx.selectFrom('tenants').select('record_count').where('id', '=', tenantId).executeTakeFirstOrThrow()).record_count;
}
