// Migration 0016 (Signal's pattern): an in-memory database at version 15 holding a proof, migrated to 16, then checked.
import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

describe('migration 0016: the chain references the chain refuted', () => {
  it('adds hub_refuted_refs, one row per proof and claimed reference, and leaves the proofs held alone', () => {
    const db = openStore(':memory:', { targetVersion: 15 });
    db.run(sql`PRAGMA foreign_keys = OFF`);
    db.run(sql`INSERT INTO hub_proofs (record_id, leaf_index, tree_size, proof, chain, received_at) VALUES ('rec_1', 0, 2, '{}', NULL, 'then')`);
    migrate(db, 16);
    expect(currentVersion(db)).toBe(16);
    expect(db.all(sql`SELECT record_id, chain FROM hub_proofs`)).toEqual([{ record_id: 'rec_1', chain: null }]);
    expect(db.all(sql`SELECT * FROM hub_refuted_refs`)).toEqual([]);
    const row = (kind: string, ref: string, chain: string) =>
      sql`INSERT INTO hub_refuted_refs (kind, ref, tree_size, chain, code, message, refuted_at) VALUES (${kind}, ${ref}, 2, ${chain}, 'ANCHOR_MISMATCH', 'm', 'now')`;
    db.run(row('record', 'rec_1', '{"block":1}'));
    expect(db.all(sql`SELECT kind, ref, tree_size, served_again, last_served_at, superseded_at, superseded_by FROM hub_refuted_refs`)).toEqual([
      { kind: 'record', ref: 'rec_1', tree_size: 2, served_again: 0, last_served_at: null, superseded_at: null, superseded_by: null },
    ]);
    // the same reference for the same proof twice is one row; another reference, or the same one for an audit head, is another
    expect(() => db.run(row('record', 'rec_1', '{"block":1}'))).toThrow(/UNIQUE|PRIMARY/);
    db.run(row('record', 'rec_1', '{"block":2}'));
    db.run(row('audit_head', '3', '{"block":1}'));
    expect(() => db.run(row('outbox', 'x', '{}'))).toThrow(/CHECK/);
    expect(() => db.run(sql`INSERT INTO hub_refuted_refs (kind, ref, tree_size, chain, code, message, refuted_at) VALUES ('record', 'rec_2', 'big', '{}', 'c', 'm', 'now')`)).toThrow(/STRICT|datatype|cannot store/i);
  });
});
