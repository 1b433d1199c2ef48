// Migration 0005 (Signal's pattern): an in-memory database at version 4, seeded, migrated to 5, then checked.
import { describe, expect, it } from 'vitest';
import { openStore, sql, type Store } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

function seededAt4(): Store {
  const db = openStore(':memory:', { targetVersion: 4 });
  db.run(sql`INSERT INTO vault_secrets (name, nonce, ciphertext, created_at) VALUES ('k1', ${new Uint8Array(12)}, ${new Uint8Array(48)}, 'then')`);
  db.run(sql`INSERT INTO signing_keys (id, algorithm, public_key, secret_name, created_at) VALUES ('key1', 'ed25519', 'pk', 'k1', 'then')`);
  db.run(sql`INSERT INTO records (id, kind, input_name, format, sha256, watermark, fingerprint, signature, public_key, key_id, signed_at)
             VALUES ('rec_a', 'image', 'a.jpg', 'jpeg', 'aa', 'embedded', 'f', 's', 'pk', 'key1', 'then')`);
  return db;
}

const folder = (db: Store, id = 'wf_1', path = '/in') =>
  db.run(sql`INSERT INTO watch_folders (id, path, out_dir, created_at, updated_at) VALUES (${id}, ${path}, '/out', 'now', 'now')`);

const job = (db: Store, v: { rel?: string; state?: string; sha?: string | null; disposition?: string | null; record?: string | null; staged?: string | null }) =>
  db.run(sql`INSERT INTO watch_jobs (folder_id, rel_path, source_path, out_dir, size, mtime_ms, state, sha256, disposition, staged_path, record_id,
      claimed_at, updated_at)
    VALUES ('wf_1', ${v.rel ?? 'a.jpg'}, ${`/in/${v.rel ?? 'a.jpg'}`}, '/out', 10, 1, ${v.state ?? 'claimed'}, ${v.sha ?? null},
      ${v.disposition ?? null}, ${v.staged ?? null}, ${v.record ?? null}, 'now', 'now')`);

describe('migration 0005: watched folders and their job queue', () => {
  it('adds the two tables and keeps what was there', () => {
    const db = seededAt4();
    expect(currentVersion(db)).toBeLessThan(5);
    const before = db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'watch%'`);
    expect(before).toEqual([]);
    migrate(db, 5);
    expect(currentVersion(db)).toBe(5);
    const tables = db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'watch%' ORDER BY name`).map((t) => t.name);
    expect(tables).toEqual(['watch_folders', 'watch_jobs']);
    expect(db.get<{ id: string }>(sql`SELECT id FROM records`)?.id).toBe('rec_a');
    folder(db);
    const f = db.get<{ concurrency: number; stable_ms: number; flags: string }>(sql`SELECT concurrency, stable_ms, flags FROM watch_folders`);
    expect(f).toEqual({ concurrency: 1, stable_ms: 2000, flags: '[]' });
  });

  it('allows one signing job per SHA-256 and folder, and one claim per path', () => {
    const db = seededAt4();
    migrate(db, 5);
    folder(db);
    job(db, { rel: 'a.jpg', state: 'staged', sha: 'aa', disposition: 'sign', staged: '/out/.custody/jobs/1/a.jpg' });
    expect(() => job(db, { rel: 'b.jpg', state: 'staged', sha: 'aa', disposition: 'sign', staged: '/s/b.jpg' })).toThrow(/UNIQUE constraint failed/);
    // The same bytes again as a duplicate, and in another folder, are fine.
    job(db, { rel: 'b.jpg', state: 'staged', sha: 'aa', disposition: 'duplicate', staged: '/s/b.jpg' });
    folder(db, 'wf_2', '/in2');
    db.run(sql`INSERT INTO watch_jobs (folder_id, rel_path, source_path, out_dir, size, mtime_ms, state, sha256, disposition, staged_path, claimed_at, updated_at)
               VALUES ('wf_2', 'a.jpg', '/in2/a.jpg', '/out', 10, 1, 'staged', 'aa', 'sign', '/s/x', 'now', 'now')`);

    job(db, { rel: 'c.jpg' });
    expect(() => job(db, { rel: 'c.jpg' })).toThrow(/UNIQUE constraint failed/);
    // Once the first claim has moved on, the same path can be claimed again (a new file under an old name).
    db.run(sql`UPDATE watch_jobs SET state = 'released' WHERE rel_path = 'c.jpg'`);
    job(db, { rel: 'c.jpg' });
  });

  it('refuses states that skip their data', () => {
    const db = seededAt4();
    migrate(db, 5);
    folder(db);
    expect(() => job(db, { state: 'staged' })).toThrow(/CHECK constraint failed/);
    expect(() => job(db, { state: 'signed', sha: 'aa', disposition: 'sign', staged: '/s' })).toThrow(/CHECK constraint failed/);
    expect(() => job(db, { state: 'done', sha: 'aa', disposition: 'sign', staged: '/s', record: 'rec_a' })).toThrow(/CHECK constraint failed/);
    expect(() => job(db, { state: 'waiting' })).toThrow(/CHECK constraint failed/);
    expect(() => job(db, { state: 'signed', sha: 'aa', disposition: 'sign', staged: '/s', record: 'rec_nope' })).toThrow(/FOREIGN KEY constraint failed/);
    job(db, { state: 'signed', sha: 'aa', disposition: 'sign', staged: '/s', record: 'rec_a' });
    expect(() => job(db, { rel: 'b.jpg', state: 'signed', sha: 'bb', disposition: 'sign', staged: '/s2', record: 'rec_a' })).toThrow(/UNIQUE constraint failed/);
  });

  it('makes STRICT tables with checked options', () => {
    const db = seededAt4();
    migrate(db, 5);
    expect(() => db.run(sql`INSERT INTO watch_folders (id, path, out_dir, concurrency, created_at, updated_at) VALUES ('w', '/a', '/b', ${'two'}, 'n', 'n')`)).toThrow(
      /cannot store TEXT value in INTEGER column/,
    );
    expect(() => db.run(sql`INSERT INTO watch_folders (id, path, out_dir, concurrency, created_at, updated_at) VALUES ('w', '/a', '/b', 0, 'n', 'n')`)).toThrow(/CHECK constraint failed/);
    expect(() => db.run(sql`INSERT INTO watch_folders (id, path, out_dir, flags, created_at, updated_at) VALUES ('w', '/a', '/b', '{"a":1}', 'n', 'n')`)).toThrow(/CHECK constraint failed/);
    folder(db, 'w1', '/same');
    expect(() => folder(db, 'w2', '/same')).toThrow(/UNIQUE constraint failed/);
    db.run(sql`UPDATE watch_folders SET removed_at = 'n' WHERE id = 'w1'`);
    folder(db, 'w2', '/same');
  });
});
