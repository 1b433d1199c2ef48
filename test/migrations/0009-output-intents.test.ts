import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

describe('migration 0009: intents of signed outputs being placed', () => {
  it('adds an empty output_intents table to a version-8 desk', () => {
    const db = openStore(':memory:', { targetVersion: 8 });
    migrate(db, 9);
    expect(currentVersion(db)).toBe(9);
    expect(db.get<{ n: number }>(sql`SELECT count(*) AS n FROM output_intents`)?.n).toBe(0);
    db.run(sql`INSERT INTO output_intents (temp_path, record_id, pid, created_at) VALUES ('/out/.a.jpg.rec_1.part', 'rec_1', 42, 'now')`);
    expect(() => db.run(sql`INSERT INTO output_intents (temp_path, record_id, pid, created_at) VALUES ('/out/.a.jpg.rec_1.part', 'rec_2', 43, 'now')`)).toThrow(/UNIQUE|PRIMARY KEY/);
  });
});
