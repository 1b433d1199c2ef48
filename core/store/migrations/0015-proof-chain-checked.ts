import type { Migration } from '../migrate.ts';

// When the desk itself confirmed a proof's chain reference on the chain (`custody hub check-chain`,
// core/sync/chain-check.ts), for the records' proofs and the audit heads': until then the reference is the hub's
// word, and verify says so.
const migration: Migration = {
  version: 15,
  name: 'proof-chain-checked',
  up(db) {
    db.exec(`ALTER TABLE hub_proofs ADD COLUMN chain_checked_at TEXT;
      ALTER TABLE hub_audit_proofs ADD COLUMN chain_checked_at TEXT;`);
  },
};

export default migration;
