// Many rows into one table in as few statements as the dialect allows. PostgreSQL: one INSERT … SELECT FROM
// unnest($1::text[], $2::int4[], …) per call, one array parameter per column, so the server parses and plans a
// statement of a few parameters instead of one with ten thousand (at 500 records a batch this halves the server's
// time per row). The arrays travel in PostgreSQL's binary array format (pgArray below): each element is its length
// and its bytes, so neither side escapes or scans the text of 500 canonical bodies, as the text form
// ({"…","…"}) makes node-postgres and the server's array_in do; a column with the same value in every row is sent
// once. SQLite: multi-row VALUES, as many rows per
// statement as its bound-value limit allows.
import { PostgresAdapter, sql, type RawBuilder, type SqlBool } from 'kysely';
import type { HubKysely, HubSchema } from './schema.ts';

/** The PostgreSQL type of each column, for the arrays' casts. */
type ElementType = 'text' | 'int4' | 'bytea';
export type ColumnTypes<T> = { [K in keyof T]-?: ElementType };

/** SQLite allows 32,766 bound values a statement. */
const SQLITE_VALUES = 32_000;

/** pg_type OIDs of the element types. */
const OID: Record<ElementType, number> = { text: 25, int4: 23, bytea: 17 };

export function isPostgres(db: HubKysely): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * A one-dimensional PostgreSQL array in the binary format of array_send/array_recv: dimensions, whether it holds
 * NULLs, the element type's OID, the length and lower bound (1), then per element its byte length (−1 for NULL) and
 * its bytes: UTF-8 for text, big-endian for int4, as is for bytea. node-postgres sends a Buffer parameter in binary
 * format, and the cast in the statement (`$1::text[]`) gives the server its type.
 */
export function pgArray(type: ElementType, values: readonly unknown[]): Buffer {
  let bytes = 20;
  let nulls = 0;
  for (const v of values) {
    if (v === null || v === undefined) {
      bytes += 4;
      nulls = 1;
    } else if (type === 'text') bytes += 4 + Buffer.byteLength(v as string);
    else if (type === 'int4') bytes += 8;
    else bytes += 4 + (v as Uint8Array).byteLength;
  }
  const b = Buffer.allocUnsafe(bytes);
  b.writeInt32BE(1, 0);
  b.writeInt32BE(nulls, 4);
  b.writeInt32BE(OID[type], 8);
  b.writeInt32BE(values.length, 12);
  b.writeInt32BE(1, 16);
  let off = 20;
  for (const v of values) {
    if (v === null || v === undefined) {
      off = b.writeInt32BE(-1, off);
    } else if (type === 'text') {
      const n = b.write(v as string, off + 4);
      b.writeInt32BE(n, off);
      off += 4 + n;
    } else if (type === 'int4') {
      off = b.writeInt32BE(4, off);
      off = b.writeInt32BE(v as number, off);
    } else {
      const u = v as Uint8Array;
      off = b.writeInt32BE(u.byteLength, off);
      b.set(u, off);
      off += u.byteLength;
    }
  }
  return b;
}

export async function insertRows<N extends keyof HubSchema & string>(db: HubKysely, table: N, types: ColumnTypes<HubSchema[N]>, rows: readonly HubSchema[N][]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(types) as (keyof HubSchema[N] & string)[];
  if (isPostgres(db)) {
    // A column with one value in every row (the tenant, the desk, the time of a batch) is one scalar parameter.
    const same = (c: keyof HubSchema[N]) => rows.length > 1 && rows.every((r) => r[c] === rows[0]![c]);
    const varying = columns.filter((c) => !same(c));
    const arrays = varying.map((c) => sql`${pgArray(types[c], rows.map((r) => r[c]))}::${sql.raw(types[c])}[]`);
    const select = columns.map((c) => (varying.includes(c) ? sql.ref(`u.${c}`) : sql`${rows[0]![c] ?? null}::${sql.raw(types[c])}`));
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select ${sql.join(select)} from unnest(${sql.join(arrays)}) as u(${sql.join(varying.map((c) => sql.ref(c)))})`.execute(db);
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
  return isPostgres(db) ? sql<SqlBool>`${sql.ref(column)} = any(${pgArray('text', values)}::text[])` : sql<SqlBool>`${sql.ref(column)} in (${sql.join(values)})`;
}
