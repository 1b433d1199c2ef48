// Migration 0006 (Signal's pattern): an in-memory database at version 5, seeded, migrated to 6, then checked.
import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

describe('migration 0006: directory users beside local ones', () => {
  it('keeps existing users local, and ties a directory user to a DN', () => {
    const db = openStore(':memory:', { targetVersion: 5 });
    db.run(sql`INSERT INTO users (name, password_hash, created_at, created_by) VALUES ('ada', 'scrypt$x', 'then', 'desk')`);
    db.run(sql`INSERT INTO user_roles (user_name, role) VALUES ('ada', 'admin')`);
    migrate(db, 6);
    expect(currentVersion(db)).toBe(6);
    expect(db.get(sql`SELECT source, dn, directory_login_at, password_hash FROM users WHERE name = 'ada'`)).toEqual({ source: 'local', dn: null, directory_login_at: null, password_hash: 'scrypt$x' });

    db.run(sql`INSERT INTO users (name, password_hash, created_at, created_by, source, dn, directory_login_at) VALUES ('alice', '', 'now', 'directory', 'ldap', 'uid=alice,dc=x', 'now')`);
    // A directory user without a DN, a local user with one, and an unknown source are refused.
    expect(() => db.run(sql`INSERT INTO users (name, password_hash, created_at, created_by, source) VALUES ('bob', '', 'now', 'directory', 'ldap')`)).toThrow(/CHECK constraint failed/);
    expect(() => db.run(sql`INSERT INTO users (name, password_hash, created_at, created_by, dn) VALUES ('carl', 'h', 'now', 'ada', 'uid=carl')`)).toThrow(/CHECK constraint failed/);
    expect(() => db.run(sql`INSERT INTO users (name, password_hash, created_at, created_by, source, dn) VALUES ('dan', '', 'now', 'x', 'kerberos', 'uid=dan')`)).toThrow(/CHECK constraint failed/);
  });
});
