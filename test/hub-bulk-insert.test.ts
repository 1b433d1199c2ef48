// server/db/bulk-insert.ts on both databases: rows written through insertRows (PostgreSQL: binary arrays, a column
// with one value in every row sent once) read back exactly, whatever the text holds (quotes, backslashes, braces,
// commas, non-ASCII, the empty string), negative and large int4, bytea; PostgreSQL's binary arrays with NULLs among
// the values; inText finds exactly the ids asked for.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { inText, insertRows, pgArray, type ColumnTypes } from '../server/db/bulk-insert.ts';
import type { TlogLeavesTable, TlogNodesTable } from '../server/db/schema.ts';
import { createTenant } from '../server/tenants/tenants.ts';
import { postgresUnavailable, tempHubDatabase } from './helpers/postgres.ts';

const pgWhy = await postgresUnavailable();
const LEAF: ColumnTypes<TlogLeavesTable> = { tenant_id: 'text', idx: 'int4', kind: 'text', ref: 'text', leaf_hash: 'bytea', appended_at: 'text' };
const NODE: ColumnTypes<TlogNodesTable> = { tenant_id: 'text', level: 'int4', idx: 'int4', hash: 'bytea' };
const AWKWARD = ['', '"', '\\', '{a,b}', 'NULL', 'null', "o'clock", 'é 漢字 🙂', ' spaced ', 'a\nb\tc', '\\x00ff', ',', '{}'];

describe.each(['sqlite', 'postgres'] as const)('insertRows on %s', (backend) => {
  let temp: Awaited<ReturnType<typeof tempHubDatabase>> | undefined;
  afterAll(() => temp?.close());

  it.skipIf(backend === 'postgres' && !!pgWhy)('writes every value as given and reads it back', async () => {
    temp = await tempHubDatabase(backend, 'custody-bulk-insert-');
    const { hub } = temp;
    const { id: tenant } = await createTenant(hub.db, 'Bulk Org');
    const leaves: TlogLeavesTable[] = AWKWARD.map((ref, i) => ({ tenant_id: tenant, idx: i, kind: 'record', ref, leaf_hash: new Uint8Array(randomBytes(i)), appended_at: `t${i % 2}` }));
    await insertRows(hub.db, 'tlog_leaves', LEAF, leaves);
    const nodes: TlogNodesTable[] = [-2147483648, -1, 0, 2147483647].map((idx) => ({ tenant_id: tenant, level: 8, idx, hash: new Uint8Array(32).fill(idx & 0xff) }));
    await insertRows(hub.db, 'tlog_nodes', NODE, nodes);
    await insertRows(hub.db, 'tlog_nodes', NODE, [{ tenant_id: tenant, level: 16, idx: 7, hash: new Uint8Array([1, 2, 3]) }]);

    const got = await hub.db.selectFrom('tlog_leaves').selectAll().where('tenant_id', '=', tenant).orderBy('idx').execute();
    expect(got.map((r) => ({ ...r, leaf_hash: Buffer.from(r.leaf_hash).toString('hex') }))).toEqual(leaves.map((r) => ({ ...r, leaf_hash: Buffer.from(r.leaf_hash).toString('hex') })));
    const gotNodes = await hub.db.selectFrom('tlog_nodes').selectAll().where('tenant_id', '=', tenant).orderBy('level').orderBy('idx').execute();
    expect(gotNodes.map((r) => [r.level, r.idx, Buffer.from(r.hash).toString('hex')])).toEqual([
      ...nodes.map((r) => [8, r.idx, Buffer.from(r.hash).toString('hex')]),
      [16, 7, '010203'],
    ]);

    const found = await hub.db.selectFrom('tlog_leaves').select('ref').where('tenant_id', '=', tenant).where(inText(hub.db, 'ref', ['"', 'é 漢字 🙂', '', 'absent', '{a,b}'])).execute();
    expect(found.map((r) => r.ref).sort()).toEqual(['', '"', '{a,b}', 'é 漢字 🙂'].sort());
    expect(await hub.db.selectFrom('tlog_leaves').select('ref').where(inText(hub.db, 'ref', [])).execute()).toEqual([]);
    if (backend === 'postgres') {
      const texts = (await sql<{ v: string | null }>`select unnest(${pgArray('text', ['a', null, '', 'é', null])}::text[]) as v`.execute(hub.db)).rows;
      expect(texts.map((r) => r.v)).toEqual(['a', null, '', 'é', null]);
      const ints = (await sql<{ v: number | null }>`select unnest(${pgArray('int4', [null, -5, 7])}::int4[]) as v`.execute(hub.db)).rows;
      expect(ints.map((r) => r.v)).toEqual([null, -5, 7]);
      const bytes = (await sql<{ v: Uint8Array | null }>`select unnest(${pgArray('bytea', [new Uint8Array([0, 255]), null])}::bytea[]) as v`.execute(hub.db)).rows;
      expect(bytes.map((r) => (r.v ? Buffer.from(r.v).toString('hex') : null))).toEqual(['00ff', null]);
    }
  });
});
