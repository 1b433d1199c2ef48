import type { Migration } from '../migrate.ts';

// Watched folders and their durable job queue (core/watch). A job is one file taken from a watched folder; its
// state is the last step that completed, so that after a crash at any moment the next start replays from there:
//
//   claimed (path) → staged (sha256, disposition) → signed (record) → placing (final names) → done
//                                 └─ disposition reject | duplicate ─→ placing ─→ rejected | duplicate
//   claimed, but the file vanished or changed before it was taken → released (it is discovered afresh)
//
// "One record per original SHA-256 and watched folder" is an index, not a convention: at most one job per
// (folder, sha256) has disposition 'sign', and a record is linked to a job in the record's own transaction.
const migration: Migration = {
  version: 5,
  name: 'watch-folders',
  up(db) {
    db.exec(`
      CREATE TABLE watch_folders (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        out_dir TEXT NOT NULL,
        concurrency INTEGER NOT NULL DEFAULT 1 CHECK (concurrency BETWEEN 1 AND 32),
        stable_ms INTEGER NOT NULL DEFAULT 2000 CHECK (stable_ms BETWEEN 0 AND 600000),
        workflow_template TEXT,
        classification TEXT,
        flags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(flags) AND json_type(flags) = 'array'),
        digital_source_type TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        removed_at TEXT,
        lease_owner TEXT,
        lease_expires_at TEXT
      ) STRICT;

      CREATE UNIQUE INDEX watch_folders_active_path ON watch_folders(path) WHERE removed_at IS NULL;

      CREATE TABLE watch_jobs (
        id INTEGER PRIMARY KEY,
        folder_id TEXT NOT NULL REFERENCES watch_folders(id),
        rel_path TEXT NOT NULL,
        source_path TEXT NOT NULL,
        out_dir TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        options TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(options)),
        state TEXT NOT NULL CHECK (state IN ('claimed', 'staged', 'signed', 'placing', 'done', 'rejected', 'duplicate', 'released')),
        disposition TEXT CHECK (disposition IN ('sign', 'reject', 'duplicate')),
        sha256 TEXT,
        staged_path TEXT,
        record_id TEXT REFERENCES records(id),
        duplicate_of INTEGER REFERENCES watch_jobs(id),
        output_path TEXT,
        original_path TEXT,
        note_path TEXT,
        error_code TEXT,
        error_message TEXT,
        error_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        claimed_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT,
        CHECK (state IN ('claimed', 'released') OR (sha256 IS NOT NULL AND disposition IS NOT NULL AND staged_path IS NOT NULL)),
        CHECK (state NOT IN ('signed', 'done') OR (disposition = 'sign' AND record_id IS NOT NULL)),
        CHECK (state NOT IN ('placing', 'done', 'rejected', 'duplicate') OR (original_path IS NOT NULL AND note_path IS NOT NULL)),
        CHECK (disposition IS NOT 'reject' OR error_code IS NOT NULL)
      ) STRICT;

      CREATE UNIQUE INDEX watch_jobs_one_sign ON watch_jobs(folder_id, sha256) WHERE disposition = 'sign';
      CREATE UNIQUE INDEX watch_jobs_claimed_path ON watch_jobs(folder_id, rel_path) WHERE state = 'claimed';
      CREATE UNIQUE INDEX watch_jobs_record ON watch_jobs(record_id) WHERE record_id IS NOT NULL;
      CREATE UNIQUE INDEX watch_jobs_output ON watch_jobs(output_path) WHERE output_path IS NOT NULL;
      CREATE UNIQUE INDEX watch_jobs_original ON watch_jobs(original_path) WHERE original_path IS NOT NULL;
      CREATE UNIQUE INDEX watch_jobs_note ON watch_jobs(note_path) WHERE note_path IS NOT NULL;
      CREATE INDEX watch_jobs_open ON watch_jobs(folder_id, state) WHERE state IN ('claimed', 'staged', 'signed', 'placing');
    `);
  },
};

export default migration;
