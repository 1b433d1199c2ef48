import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

const insert = (db: ReturnType<typeof openStore>, seq: number, signed: boolean) =>
  db.run(sql`INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature)
             VALUES (${seq}, 'now', 'ada', 'test', NULL, '{}', 'p', ${`h${seq}`}, ${signed ? 'k' : null}, ${signed ? 's' : null})`);

describe('migration 0003: the audit log', () => {
  it('adds an empty, append-only audit_log to a version-2 desk and keeps its users', () => {
    const db = openStore(':memory:', { targetVersion: 2 });
    db.run(sql`INSERT INTO users (name, password_hash, created_at, created_by) VALUES ('ada', 'scrypt$x', 'now', 'desk')`);

    migrate(db, 3);
    expect(currentVersion(db)).toBe(3);
    expect(db.get<{ n: number }>(sql`SELECT count(*) AS n FROM audit_log`)?.n).toBe(0);
    expect(db.get<{ name: string }>(sql`SELECT name FROM users`)?.name).toBe('ada');

    insert(db, 1, true);
    insert(db, 2, false);
    expect(() => db.run(sql`DELETE FROM audit_log WHERE seq = 1`)).toThrow(/append-only: entries cannot be deleted/);
    expect(() => db.run(sql`UPDATE audit_log SET details = '{"x":1}' WHERE seq = 1`)).toThrow(/entries cannot be changed/);
    expect(() => db.run(sql`UPDATE audit_log SET key_id = 'k2', signature = 's2' WHERE seq = 1`)).toThrow(/cannot be re-signed/);
    // Sealing a pending entry is the one update allowed.
    db.run(sql`UPDATE audit_log SET key_id = 'k', signature = 's' WHERE seq = 2`);
    expect(() => db.run(sql`INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash, key_id) VALUES (3, 'now', 'a', 'b', '{}', 'p', 'h3', 'k')`)).toThrow(/CHECK constraint failed/);
    expect(() => insert(db, 1, true)).toThrow(/UNIQUE constraint failed|PRIMARY KEY/);
  });
});
