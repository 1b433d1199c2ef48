import type { Migration } from '../migrate.ts';

// Users from the newsroom's LDAP/AD directory (issue 18) live beside local users, so that sessions, roles and the
// audit log treat both alike. For a directory user, password_hash is the offline cache: a scrypt hash of the
// password of their last successful directory login ('' when there is none), usable until directory_login_at plus
// the configured offline days, and only while the directory cannot be reached.
const migration: Migration = {
  version: 6,
  name: 'directory-source',
  up(db) {
    db.exec(`
      ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'ldap'));
      ALTER TABLE users ADD COLUMN dn TEXT CHECK ((source = 'ldap') = (dn IS NOT NULL));
      ALTER TABLE users ADD COLUMN directory_login_at TEXT;
    `);
  },
};

export default migration;
