import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

const tables = (db: ReturnType<typeof openStore>) =>
  db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).map((t) => t.name);

describe('migration 0002: the user directory', () => {
  it('adds users, user_roles and sessions to a version-1 desk and keeps its data', () => {
    const db = openStore(':memory:', { targetVersion: 1 });
    db.run(sql`INSERT INTO settings (key, value) VALUES ('org', 'Daily Planet')`);
    expect(tables(db)).not.toContain('users');

    migrate(db, 2);
    expect(currentVersion(db)).toBe(2);
    expect(tables(db)).toEqual(expect.arrayContaining(['users', 'user_roles', 'sessions']));
    expect(db.get<{ value: string }>(sql`SELECT value FROM settings WHERE key = 'org'`)?.value).toBe('Daily Planet');

    db.run(sql`INSERT INTO users (name, password_hash, created_at, created_by) VALUES ('ada', 'scrypt$x', 'now', 'desk')`);
    db.run(sql`INSERT INTO user_roles (user_name, role) VALUES ('ada', 'admin')`);
    expect(() => db.run(sql`INSERT INTO user_roles (user_name, role) VALUES ('ada', 'owner')`)).toThrow(/CHECK constraint failed/);
    expect(() => db.run(sql`INSERT INTO user_roles (user_name, role) VALUES ('nobody', 'editor')`)).toThrow(/FOREIGN KEY constraint failed/);
    expect(() => db.run(sql`INSERT INTO sessions (token_sha256, user_name, created_at, expires_at) VALUES ('t', 'nobody', 'a', 'b')`)).toThrow(/FOREIGN KEY/);
    expect(() => db.run(sql`INSERT INTO users (name, password_hash, created_at, created_by) VALUES ('bob', ${new Uint8Array(1)}, 'now', 'ada')`)).toThrow(/cannot store BLOB value in TEXT column/);
  });
});
