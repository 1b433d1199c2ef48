import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

describe('migration 0011: time-stamps of records, embedded or pending', () => {
  it('adds record_timestamps to a version-10 desk: one row per record and manifest, a token only with its genTime', () => {
    const db = openStore(':memory:', { targetVersion: 10 });
    migrate(db, 11);
    expect(currentVersion(db)).toBe(11);
    db.exec('PRAGMA foreign_keys = OFF');
    const row = (manifest: string, token: Uint8Array | null, genTime: string | null) =>
      db.run(sql`INSERT INTO record_timestamps (record_id, manifest, stamped, tsa_url, token, gen_time, source, next_attempt_at, created_at)
                 VALUES ('rec_1', ${manifest}, ${new Uint8Array([1])}, 'http://tsa', ${token}, ${genTime}, 'desk', 'now', 'now')`);
    row('signed', null, null);
    row('published', new Uint8Array([2]), '2026-01-01T00:00:00Z');
    expect(db.get<{ n: number }>(sql`SELECT count(*) AS n FROM record_timestamps`)?.n).toBe(2);
    expect(() => row('signed', null, null)).toThrow(/UNIQUE|PRIMARY KEY/);
    db.run(sql`DELETE FROM record_timestamps`);
    expect(() => row('signed', new Uint8Array([2]), null)).toThrow(/CHECK/);
    expect(() => row('other', null, null)).toThrow(/CHECK/);
  });
});
