import type { Migration } from '../migrate.ts';

// The tamper-evident audit log (issue 6). Entries are append-only: the triggers refuse deletes and edits of
// anything but a missing signature (entries written while the vault is locked are sealed at the next unlock).
// The triggers guard against mistakes; against someone who drops them, the hash chain, the signatures and the
// signed head checkpoint outside the database are what count (core/audit/verify.ts).
const migration: Migration = {
  version: 3,
  name: 'audit-log',
  up(db) {
    db.exec(`
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        key_id TEXT,
        signature TEXT,
        CHECK ((key_id IS NULL) = (signature IS NULL))
      ) STRICT;

      CREATE INDEX audit_log_subject ON audit_log(subject);

      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be deleted');
      END;

      CREATE TRIGGER audit_log_no_edit BEFORE UPDATE OF seq, at, actor, action, subject, details, prev_hash, hash ON audit_log
      BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be changed');
      END;

      CREATE TRIGGER audit_log_seal_once BEFORE UPDATE OF key_id, signature ON audit_log
      WHEN OLD.signature IS NOT NULL
      BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only: a signed entry cannot be re-signed');
      END;
    `);
  },
};

export default migration;
