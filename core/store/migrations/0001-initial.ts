import type { Migration } from '../migrate.ts';

// Settings, the key vault, signing keys and signed records.
const migration: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE vault_keys (
        kind TEXT PRIMARY KEY,
        params TEXT NOT NULL,
        blob BLOB NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE vault_secrets (
        name TEXT PRIMARY KEY,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE signing_keys (
        id TEXT PRIMARY KEY,
        algorithm TEXT NOT NULL,
        public_key TEXT NOT NULL,
        secret_name TEXT NOT NULL REFERENCES vault_secrets(name),
        created_at TEXT NOT NULL,
        retired_at TEXT
      ) STRICT;

      CREATE TABLE records (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('image', 'video', 'segment')),
        parent_id TEXT REFERENCES records(id),
        input_name TEXT NOT NULL,
        input_path TEXT,
        output_path TEXT,
        format TEXT NOT NULL,
        width INTEGER,
        height INTEGER,
        sha256 TEXT NOT NULL,
        output_sha256 TEXT,
        phash TEXT,
        payload TEXT,
        watermark TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        signature TEXT NOT NULL,
        public_key TEXT NOT NULL,
        key_id TEXT NOT NULL REFERENCES signing_keys(id),
        signed_at TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
      ) STRICT;

      CREATE INDEX records_sha256 ON records(sha256);
      CREATE INDEX records_output_sha256 ON records(output_sha256);
      CREATE INDEX records_payload ON records(payload);
      CREATE INDEX records_parent ON records(parent_id);
      CREATE INDEX records_signed_at ON records(signed_at);
    `);
  },
};

export default migration;
