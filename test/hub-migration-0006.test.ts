// Hub migration 0006 (server/db/migrations/0006-record-signature.ts), on SQLite and PostgreSQL: a database whose
// records were stored before desks signed whole records is migrated to 0004, seeded with such a record and its log
// leaf in the first leaf format, then opened by the hub (which runs 0005 and 0006). The old record keeps no record signature
// and the leaf it was logged with; its fingerprint signature cannot be pushed again under another id; the unique
// index holds one (signature, public key) per signed record and leaves the old ones alone.
import { sign as nodeSign } from 'node:crypto';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { enrolledDesk, signedRecords, type BenchDesk } from '../bench/hub-load.ts';
import { canonicalJson } from '../core/audit/canonical-json.ts';
import { CustodyError } from '../core/errors.ts';
import { sha256Hex } from '../core/media/hash.ts';
import { newRecordId } from '../core/provenance/fingerprint.ts';
import { canonicalRecord, signHubRecord, type HubRecord } from '../core/sync/hub-records.ts';
import { leafHashOf, recordLeafOfBody } from '../core/tlog/leaves.ts';
import { leafHash } from '../core/tlog/merkle.ts';
import { openHubDatabase, SQLITE_FILE, type HubDatabase } from '../server/db/connect.ts';
import * as m0001 from '../server/db/migrations/0001-initial.ts';
import * as m0002 from '../server/db/migrations/0002-tlog.ts';
import * as m0003 from '../server/db/migrations/0003-anchor.ts';
import * as m0004 from '../server/db/migrations/0004-publications.ts';
import type { Dialect, HubSchema } from '../server/db/schema.ts';
import { ingestBatch } from '../server/ingest/ingest.ts';
import { appendLeaves } from '../server/tlog/log-store.ts';
import { recordsBySha256 } from '../server/verify/records.ts';
import { tempDir } from './helpers/cli.ts';
import { postgresUnavailable, tempPostgresDatabase } from './helpers/postgres.ts';

const pgWhy = await postgresUnavailable();
if (pgWhy) console.warn(`hub migration 0006 tests: skipping the PostgreSQL half: ${pgWhy}`);

const BEFORE = { '0001-initial': m0001, '0002-tlog': m0002, '0003-anchor': m0003, '0004-publications': m0004 };

/** The hub's schema as it was at migration 0004, under the names the hub's migrator records. */
async function migrateTo0004(db: Kysely<HubSchema>, dialect: Dialect): Promise<void> {
  const provider = { getMigrations: async () => Object.fromEntries(Object.entries(BEFORE).map(([n, m]): [string, Migration] => [n, { up: (k) => m.up(k, dialect) }])) };
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error as Error;
}

/** The signed output an old record names: a field its desk's fingerprint signature does not cover. */
const OLD_OUTPUT = 'a0'.repeat(32);

/** A record stored by the hub before 0006, its leaf in the first format as that hub appended it. */
async function seedOldRecord(db: Kysely<HubSchema>, desk: BenchDesk): Promise<{ record: HubRecord; leafHash: Uint8Array }> {
  const { recordSignature: _, ...record } = { ...signedRecords(desk, 1)[0]!, outputSha256: OLD_OUTPUT };
  const body = canonicalRecord(record);
  const content = sha256Hex(body);
  const deskId = (await db.selectFrom('desks').select('id').where('tenant_id', '=', desk.tenantId).executeTakeFirstOrThrow()).id;
  const keyId = (await db.selectFrom('api_keys').select('id').where('tenant_id', '=', desk.tenantId).executeTakeFirstOrThrow()).id;
  const at = new Date().toISOString();
  // The first leaf format, written out here as it was: no record signature, v 1.
  const leaf = { v: 1, type: 'record', id: record.id, content, sha256: record.sha256, phash: record.phash, signedAt: record.signedAt, publicKey: record.publicKey, signature: record.signature };
  const hash = leafHash(new TextEncoder().encode(canonicalJson(leaf)));
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('records').values({
      tenant_id: desk.tenantId, id: record.id, tenant_seq: 1, desk_id: deskId, kind: record.kind, parent_id: null, sha256: record.sha256, output_sha256: record.outputSha256,
      phash: record.phash, payload: record.payload, segment_index: null, signed_at: record.signedAt, public_key: record.publicKey, signature: record.signature,
      content_sha256: content, body, manifest_id: null, received_at: at, api_key_id: keyId,
    }).execute();
    await trx.updateTable('tenants').set({ record_count: 1 }).where('id', '=', desk.tenantId).execute();
    await appendLeaves(trx, desk.tenantId, [{ kind: 'record', ref: record.id, hash }], at);
  });
  return { record: record as HubRecord, leafHash: hash };
}

describe.each([['sqlite'], ['postgres']] as const)('hub migration 0006 on %s', (backend) => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
  });

  it.skipIf(backend === 'postgres' && !!pgWhy)('keeps the records stored before it, their leaves and their signatures, unforgeable under another id', async () => {
    let location: { database: string | null; dataDir: string };
    let old: Kysely<HubSchema>;
    if (backend === 'postgres') {
      const d = await tempPostgresDatabase();
      closers.push(d.drop);
      location = { database: d.url, dataDir: tempDir('custody-hub-0006-') };
      old = new Kysely<HubSchema>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: d.url, max: 2 }) }) });
    } else {
      location = { database: null, dataDir: tempDir('custody-hub-0006-') };
      old = new Kysely<HubSchema>({ dialect: new SqliteDialect({ database: new Database(`${location.dataDir}/${SQLITE_FILE}`) }) });
    }
    await migrateTo0004(old, backend);
    const desk = await enrolledDesk(old, 'Old Org');
    const seeded = await seedOldRecord(old, desk);
    await old.destroy();

    const hub: HubDatabase = await openHubDatabase(location);
    closers.push(() => hub.close());
    const row = await hub.db.selectFrom('records').select(['body', 'record_signature']).where('id', '=', seeded.record.id).executeTakeFirstOrThrow();
    expect(row.record_signature).toBeNull();
    const leaf = recordLeafOfBody(row.body, row.record_signature);
    expect(leaf.v).toBe(1);
    expect(Buffer.from(leafHashOf(leaf)).toString('hex')).toBe(Buffer.from(seeded.leafHash).toString('hex'));
    const stored = await hub.db.selectFrom('tlog_leaves').select('leaf_hash').where('ref', '=', seeded.record.id).executeTakeFirstOrThrow();
    expect(Buffer.from(stored.leaf_hash).toString('hex')).toBe(Buffer.from(seeded.leafHash).toString('hex'));

    // The old record's fingerprint signature, signed whole by its own desk under a new id: a replay.
    const deskId = (await hub.db.selectFrom('desks').select('id').where('tenant_id', '=', desk.tenantId).executeTakeFirstOrThrow()).id;
    const keyId = (await hub.db.selectFrom('api_keys').select('id').where('tenant_id', '=', desk.tenantId).executeTakeFirstOrThrow()).id;
    const caller = { tenantId: desk.tenantId, deskId, keyId };
    const twin = signHubRecord({ ...seeded.record, id: newRecordId() }, (m) => nodeSign(null, m, desk.privateKey));
    const e = await ingestBatch(hub.db, hub.dialect, caller, [twin]).then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(CustodyError);
    expect((e as CustodyError).code).toBe('RECORD_CONFLICT');
    // The same old record pushed again, now signed whole: the stored one, as it was.
    const again = await ingestBatch(hub.db, hub.dialect, caller, [signHubRecord(seeded.record, (m) => nodeSign(null, m, desk.privateKey))]);
    expect(again.results).toMatchObject([{ id: seeded.record.id, status: 'replayed', seq: 1 }]);

    // Found by its original's SHA-256 (signed), not by the output's it names (never signed); a record signed whole is.
    expect((await recordsBySha256(hub.db, null, seeded.record.sha256)).map((r) => r.id)).toEqual([seeded.record.id]);
    expect(await recordsBySha256(hub.db, null, OLD_OUTPUT)).toEqual([]);
    const { recordSignature: _, ...unsigned } = signedRecords(desk, 1)[0]!;
    const withOutput = signHubRecord({ ...unsigned, outputSha256: 'b0'.repeat(32) }, (m) => nodeSign(null, m, desk.privateKey));
    await ingestBatch(hub.db, hub.dialect, caller, [withOutput]);
    expect((await recordsBySha256(hub.db, null, 'b0'.repeat(32))).map((r) => r.id)).toEqual([withOutput.id]);

    // The index: a second signed row with a stored (signature, public key) is refused by the database itself.
    const fresh = (await ingestBatch(hub.db, hub.dialect, caller, signedRecords(desk, 1))).added[0]!;
    const copy = { ...fresh, id: newRecordId(), tenant_seq: 99 };
    await expect(hub.db.insertInto('records').values(copy).execute()).rejects.toThrow(/unique|UNIQUE/);
    await hub.db.insertInto('records').values({ ...copy, record_signature: null }).execute();
  });
});
