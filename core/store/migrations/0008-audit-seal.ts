import type { Migration } from '../migrate.ts';

// Issue 13 §5. Entries written while the vault is locked carry an HMAC under a ratcheting key (core/audit/pending.ts);
// the ratchet's current key lives here, its first key in the vault. The latest signed head is also kept in the
// database (audit_witness), a second place beside audit-head.json: rolling back the file alone no longer hides
// the removal of the newest entries.
const migration: Migration = {
  version: 8,
  name: 'audit-seal',
  up(db) {
    db.exec(`
      ALTER TABLE audit_log ADD COLUMN pending_mac TEXT;

      CREATE TABLE audit_pending_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        epoch TEXT NOT NULL,
        next_index INTEGER NOT NULL CHECK (next_index >= 0),
        key BLOB NOT NULL
      ) STRICT;

      CREATE TABLE audit_witness (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        key_id TEXT NOT NULL,
        signature TEXT NOT NULL
      ) STRICT;

      DROP TRIGGER audit_log_no_edit;
      CREATE TRIGGER audit_log_no_edit BEFORE UPDATE OF seq, at, actor, action, subject, details, prev_hash, hash, pending_mac ON audit_log
      BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be changed');
      END;
    `);
  },
};

export default migration;
