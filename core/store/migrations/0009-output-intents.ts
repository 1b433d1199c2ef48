import type { Migration } from '../migrate.ts';

// Issue 13 §6. A signed output is placed in steps (core/provenance/placement.ts); this row names its temporary file
// and the process placing it from before the file exists until it is in place, so that whatever a crash leaves can
// be finished or undone the next time the desk opens. No foreign key: the row comes before its record.
const migration: Migration = {
  version: 9,
  name: 'output-intents',
  up(db) {
    db.exec(`
      CREATE TABLE output_intents (
        temp_path TEXT PRIMARY KEY,
        record_id TEXT NOT NULL,
        pid INTEGER NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
    `);
  },
};

export default migration;
