import type { Migration } from '../migrate.ts';

// The chain references the desk's chain check refuted (core/sync/refuted-refs.ts): which proof (a record's, or an
// audit head's by seq), the exact reference claimed, and the batch it was last claimed for (the checkpoint's tree
// size), so that the same reference served again raises no new alarm but stands as one in the hub status until a
// reference for that proof is confirmed on the chain (superseded_at, superseded_by).
const migration: Migration = {
  version: 16,
  name: 'refuted-chain-refs',
  up(db) {
    db.exec(`
      CREATE TABLE hub_refuted_refs (
        kind TEXT NOT NULL CHECK (kind IN ('record', 'audit_head')),
        ref TEXT NOT NULL,
        tree_size INTEGER NOT NULL,
        chain TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        refuted_at TEXT NOT NULL,
        served_again INTEGER NOT NULL DEFAULT 0,
        last_served_at TEXT,
        superseded_at TEXT,
        superseded_by TEXT,
        PRIMARY KEY (kind, ref, chain)
      ) STRICT;
    `);
  },
};

export default migration;
