import type { Migration } from '../migrate.ts';

// Issue 16: the audit-log heads a desk pushed are leaves of the organisation's log; the desk pulls each one's
// inclusion proof back and keeps it here, so `custody audit verify` can check the local log against the newest head
// the hub signed (and anchored): a log rewritten after that head no longer holds its hash at its seq.
// seq and hash are the head's (the audit entry it names); proof is the proof file (docs/anchoring.md) as received.
const migration: Migration = {
  version: 13,
  name: 'audit-head-proofs',
  up(db) {
    db.exec(`
      CREATE TABLE hub_audit_proofs (
        seq INTEGER PRIMARY KEY,
        hash TEXT NOT NULL,
        leaf_index INTEGER NOT NULL,
        tree_size INTEGER NOT NULL,
        proof TEXT NOT NULL,
        chain TEXT,
        received_at TEXT NOT NULL
      ) STRICT;
    `);
  },
};

export default migration;
