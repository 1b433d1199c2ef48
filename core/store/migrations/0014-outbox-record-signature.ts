import type { Migration } from '../migrate.ts';

// A record's whole-record signature (core/sync/hub-records.ts signHubRecord), made by the transaction that signs the
// record and queues it, so that what the desk pushes is what it signed then, not what the row says when the sync
// runs: a record row edited in desk.db meanwhile no longer verifies, and the sync parks it instead of signing the
// edit. Null for rows queued before this migration (the sync signs those as it pushes them).
const migration: Migration = {
  version: 14,
  name: 'outbox-record-signature',
  up(db) {
    db.exec(`ALTER TABLE outbox ADD COLUMN record_signature TEXT;`);
  },
};

export default migration;
