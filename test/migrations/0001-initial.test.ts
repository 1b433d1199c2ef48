import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

describe('migration 0001: initial schema', () => {
  it('creates the tables from an empty database', () => {
    const db = openStore(':memory:', { targetVersion: 0 });
    expect(currentVersion(db)).toBe(0);
    const before = db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table'`);
    expect(before).toEqual([]);

    const migrated = openStore(':memory:', { targetVersion: 1 });
    expect(currentVersion(migrated)).toBe(1);
    const tables = migrated.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).map((t) => t.name);
    expect(tables).toEqual(['records', 'settings', 'signing_keys', 'vault_keys', 'vault_secrets']);
  });

  it('makes STRICT tables that refuse values of the wrong type', () => {
    const db = openStore(':memory:', { targetVersion: 1 });
    expect(() => db.run(sql`INSERT INTO vault_secrets (name, nonce, ciphertext, created_at) VALUES (${'x'}, ${'not a blob'}, ${new Uint8Array(1)}, ${'now'})`)).toThrow(/cannot store TEXT value in BLOB column/);
  });

  it('enforces foreign keys: a record needs an existing signing key', () => {
    const db = openStore(':memory:', { targetVersion: 1 });
    expect(() =>
      db.run(sql`INSERT INTO records (id, kind, input_name, format, sha256, watermark, fingerprint, signature, public_key, key_id, signed_at)
                 VALUES ('r1', 'image', 'a.jpg', 'jpeg', 'aa', 'embedded', 'f', 's', 'p', 'no-such-key', 'now')`),
    ).toThrow(/FOREIGN KEY constraint failed/);
  });

  it('refuses a database newer than this code', () => {
    const db = openStore(':memory:');
    db.exec('PRAGMA user_version = 999');
    expect(() => migrate(db)).toThrow(/schema version 999, newer than this Custody/);
  });
});
