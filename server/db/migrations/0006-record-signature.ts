// Whole-record signatures: a desk signs each record's canonical body (core/sync/hub-records.ts recordSigningMessage),
// so no field the hub stores, serves or logs can be set by whoever holds an ingest key. The signature is kept beside
// the body it covers; records stored before have none (null), and their log leaves stay version 1.
//
// A fingerprint signature is one record's: a second record carrying the same (public key, signature) under another
// id is a replay. Ingest refuses it against every stored record; the unique index holds it for the signed ones
// (records stored before may already hold such a replay, so it cannot cover them).
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../schema.ts';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('records').addColumn('record_signature', 'text').execute();
  // Led by the signature, so ingest's lookup of a batch's signatures (IN on signature) uses it.
  await db.schema.createIndex('records_fingerprint_signature').unique().on('records').columns(['signature', 'public_key'])
    .where(sql.ref('record_signature'), 'is not', null).execute();
}
