import type { Migration } from '../migrate.ts';

// The local user directory (issue 6): users, their built-in roles, and expiring login sessions.
// Role names are checked here as well as in code, so that a hand-edited row cannot invent a role.
const migration: Migration = {
  version: 2,
  name: 'directory',
  up(db) {
    db.exec(`
      CREATE TABLE users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        disabled_at TEXT
      ) STRICT;

      CREATE TABLE user_roles (
        user_name TEXT NOT NULL REFERENCES users(name),
        role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'chief', 'legal', 'viewer')),
        PRIMARY KEY (user_name, role)
      ) STRICT;

      -- Only the SHA-256 of a session token is kept: a copy of the database does not let anyone log in.
      CREATE TABLE sessions (
        token_sha256 TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES users(name),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      ) STRICT;

      CREATE INDEX sessions_user ON sessions(user_name);
    `);
  },
};

export default migration;
