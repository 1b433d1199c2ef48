import type { Migration } from '../migrate.ts';

// Issue 14 §3. RFC 3161 time-stamps over a record's claim signature: the one embedded in the manifest, or — when the
// TSA did not answer at signing — a pending row that a later run fills. `stamped` holds the exact bytes the stamp
// covers (the C2PA v2 countersignature structure over the claim signature), so a later token needs nothing else.
// `manifest` says which of the record's manifests: the one signed with the file, or the one its publication added.
const migration: Migration = {
  version: 11,
  name: 'record-timestamps',
  up(db) {
    db.exec(`
      CREATE TABLE record_timestamps (
        record_id TEXT NOT NULL REFERENCES records(id),
        manifest TEXT NOT NULL CHECK (manifest IN ('signed', 'published')),
        stamped BLOB NOT NULL,
        tsa_url TEXT NOT NULL,
        token BLOB,
        gen_time TEXT,
        source TEXT NOT NULL CHECK (source IN ('manifest', 'desk')),
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        CHECK ((token IS NULL) = (gen_time IS NULL)),
        PRIMARY KEY (record_id, manifest)
      ) STRICT;
      CREATE INDEX record_timestamps_due ON record_timestamps (next_attempt_at) WHERE token IS NULL;
    `);
  },
};

export default migration;
