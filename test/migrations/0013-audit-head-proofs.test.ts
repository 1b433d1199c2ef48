// Migration 0013 (Signal's pattern): an in-memory database at version 12, migrated to 13, then checked.
import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

describe('migration 0013: the proofs of the audit heads the desk pushed', () => {
  it('adds hub_audit_proofs, one proof per head seq', () => {
    const db = openStore(':memory:', { targetVersion: 12 });
    migrate(db, 13);
    expect(currentVersion(db)).toBe(13);
    const row = (seq: number, hash: string) => sql`INSERT INTO hub_audit_proofs (seq, hash, leaf_index, tree_size, proof, received_at) VALUES (${seq}, ${hash}, 3, 4, '{}', 'now')`;
    db.run(row(7, 'a'.repeat(64)));
    expect(() => db.run(row(7, 'b'.repeat(64)))).toThrow(/UNIQUE|PRIMARY/);
    expect(() => db.run(sql`INSERT INTO hub_audit_proofs (seq, hash, leaf_index, tree_size, proof, received_at) VALUES ('x', 'h', 1, 1, '{}', 'now')`)).toThrow(/STRICT|datatype|cannot store/i);
    expect(db.all(sql`SELECT seq, chain FROM hub_audit_proofs`)).toEqual([{ seq: 7, chain: null }]);
  });
});
