// Migration 0015 (Signal's pattern): an in-memory database at version 14 holding a proof, migrated to 15, then checked.
import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

describe('migration 0015: when the desk confirmed a proof\'s chain reference', () => {
  it('adds chain_checked_at to hub_proofs and hub_audit_proofs, null for the proofs held before', () => {
    const db = openStore(':memory:', { targetVersion: 14 });
    db.run(sql`PRAGMA foreign_keys = OFF`);
    db.run(sql`INSERT INTO hub_proofs (record_id, leaf_index, tree_size, proof, chain, received_at) VALUES ('rec_1', 0, 2, '{}', '{"chainId":1}', 'then')`);
    migrate(db, 15);
    expect(currentVersion(db)).toBe(15);
    expect(db.all(sql`SELECT record_id, chain, chain_checked_at FROM hub_proofs`)).toEqual([{ record_id: 'rec_1', chain: '{"chainId":1}', chain_checked_at: null }]);
    db.run(sql`UPDATE hub_proofs SET chain_checked_at = ${'2026-12-05T00:00:00.000Z'}`);
    db.run(sql`INSERT INTO hub_audit_proofs (seq, hash, leaf_index, tree_size, proof, chain, received_at, chain_checked_at) VALUES (3, 'h', 1, 2, '{}', NULL, 'then', NULL)`);
    expect(db.all(sql`SELECT seq, chain_checked_at FROM hub_audit_proofs`)).toEqual([{ seq: 3, chain_checked_at: null }]);
    expect(() => db.run(sql`UPDATE hub_proofs SET chain_checked_at = ${Buffer.from([1, 2])}`)).toThrow(/STRICT|datatype|cannot store/i);
  });
});
