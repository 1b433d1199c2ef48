// Many rows into one table in as few statements as the dialect allows. PostgreSQL: one INSERT … SELECT FROM
// unnest($1::text[], $2::int4[], …) per call, one array parameter per column, so the server parses and plans a
// statement of a few parameters instead of one with ten thousand (at 500 records a batch this halves the server's
// time per row). SQLite: multi-row VALUES, as many rows per statement as its bound-value limit allows.
import { PostgresAdapter, sql, type RawBuilder, type SqlBool } from 'kysely';
import type { HubKysely, HubSchema } from './schema.ts';

/** The PostgreSQL type of each column, for the arrays' casts. */
export type ColumnTypes<T> = { [K in keyof T]-?: 'text' | 'int4' | 'bytea' };

/** SQLite allows 32,766 bound values a statement. */
const SQLITE_VALUES = 32_000;

export function isPostgres(db: HubKysely): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function insertRows<N extends keyof HubSchema & string>(db: HubKysely, table: N, types: ColumnTypes<HubSchema[N]>, rows: readonly HubSchema[N][]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(types) as (keyof HubSchema[N] & string)[];
  if (isPostgres(db)) {
    const arrays = columns.map((c) => sql`${rows.map((r) => r[c] ?? null)}::${sql.raw(types[c])}[]`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)})`.execute(db);
    return;
  }
  const per = Math.max(1, Math.floor(SQLITE_VALUES / columns.length));
  for (let i = 0; i < rows.length; i += per) {
    // Kysely's insert builder types its values per table; the rows are that table's rows.
    await db.insertInto(table).values(rows.slice(i, i + per) as never).execute();
  }
}

/**
 * `column IN (values)` for many text values: on PostgreSQL `column = ANY($1::text[])`, one array parameter that the
 * server parses and plans in the same time however many values it holds; on SQLite the IN list.
 */
export function inText(db: HubKysely, column: string, values: readonly string[]): RawBuilder<SqlBool> {
  if (values.length === 0) return sql<SqlBool>`1 = 0`;
  return isPostgres(db) ? sql<SqlBool>`${sql.ref(column)} = any(${values}::text[])` : sql<SqlBool>`${sql.ref(column)} in (${sql.join(values)})`;
}
