import type { Migration } from '../migrate.ts';

// Issue 17: the desk feeds the organisation's hub (DESIGN.md "Sync").
//
// outbox: one row per change the hub must learn about, written in the same transaction as the change itself
// (core/sync/outbox.ts), so that a crash leaves both or neither. A row names what it carries (kind, ref); the
// content is read from the row it names when it is pushed (records and publications never change), except a
// record's C2PA manifest store, which is cut from the signed output in memory at signing time and kept here, and an
// audit-log head, whose signed form is kept here. state: pending → delivered (the hub accepted it, or answered
// that it already had it) or parked (the hub refused it, with its code and reason; later rows go on).
// Every record signed before this migration is queued too, parents before segments, so an old desk catches up.
//
// hub_link: the hub this desk is enrolled with (one); its API key is a secret in the vault, never here.
// hub_proofs / hub_checkpoints: what the hub answers once it has anchored a record (issue 16): the inclusion
// proof kept with the record, and every checkpoint the desk accepted, each checked to extend the last one.
const migration: Migration = {
  version: 10,
  name: 'hub-sync',
  up(db) {
    db.exec(`
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('record', 'publication', 'audit_head')),
        ref TEXT NOT NULL,
        manifest_id TEXT,
        manifest BLOB,
        head TEXT,
        created_at TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'parked')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_attempt_at TEXT,
        last_error TEXT,
        delivered_at TEXT,
        hub_seq INTEGER,
        hub_status TEXT,
        parked_code TEXT,
        parked_reason TEXT,
        UNIQUE (kind, ref)
      ) STRICT;
      CREATE INDEX outbox_state ON outbox (state, seq);

      INSERT INTO outbox (kind, ref, created_at)
        SELECT 'record', id, signed_at FROM records
        ORDER BY CASE kind WHEN 'segment' THEN 1 ELSE 0 END, signed_at, id;
      INSERT INTO outbox (kind, ref, created_at)
        SELECT 'publication', id, published_at FROM publications ORDER BY published_at, id;

      CREATE TABLE hub_link (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        url TEXT NOT NULL,
        desk_id TEXT NOT NULL,
        desk_name TEXT NOT NULL,
        org TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        api_key_id TEXT NOT NULL,
        connected_at TEXT NOT NULL,
        last_contact_at TEXT,
        last_error TEXT,
        last_error_at TEXT
      ) STRICT;

      CREATE TABLE hub_proofs (
        record_id TEXT PRIMARY KEY REFERENCES records(id),
        leaf_index INTEGER NOT NULL,
        tree_size INTEGER NOT NULL,
        proof TEXT NOT NULL,
        chain TEXT,
        received_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE hub_checkpoints (
        tree_size INTEGER PRIMARY KEY,
        root TEXT NOT NULL,
        note TEXT NOT NULL,
        received_at TEXT NOT NULL
      ) STRICT;
    `);
  },
};

export default migration;
