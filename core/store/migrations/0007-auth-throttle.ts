import type { Migration } from '../migrate.ts';

// Failed logins and vault unlocks, per user name or vault protector (issue 13 §7). In the database, so that every
// process on the desk (the app, web mode, each `custody` command) counts the same attempts.
const migration: Migration = {
  version: 7,
  name: 'auth-throttle',
  up(db) {
    db.exec(`
      CREATE TABLE auth_throttle (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL CHECK (failures >= 0),
        last_failure_at TEXT NOT NULL,
        locked_until TEXT
      ) STRICT;
    `);
  },
};

export default migration;
