import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

describe('migration 0007: login and unlock throttling', () => {
  it('adds an empty auth_throttle table to a version-6 desk and keeps its users', () => {
    const db = openStore(':memory:', { targetVersion: 6 });
    db.run(sql`INSERT INTO users (name, password_hash, created_at, created_by) VALUES ('ada', 'scrypt$x', 'now', 'desk')`);
    migrate(db, 7);
    expect(currentVersion(db)).toBe(7);
    expect(db.get<{ n: number }>(sql`SELECT count(*) AS n FROM auth_throttle`)?.n).toBe(0);
    expect(db.get<{ name: string }>(sql`SELECT name FROM users`)?.name).toBe('ada');
    db.run(sql`INSERT INTO auth_throttle (key, failures, last_failure_at, locked_until) VALUES ('login:ada', 5, 'now', 'later')`);
    expect(() => db.run(sql`INSERT INTO auth_throttle (key, failures, last_failure_at) VALUES ('login:ed', -1, 'now')`)).toThrow(/CHECK constraint failed/);
  });
});
