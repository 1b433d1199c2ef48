import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

describe('migration 0008: seals for entries written while locked, and the database copy of the signed head', () => {
  it('adds pending_mac (append-only like the rest), the ratchet row and the witness row, keeping the entries', () => {
    const db = openStore(':memory:', { targetVersion: 7 });
    db.run(sql`INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash, key_id, signature)
               VALUES (1, 'now', 'ada', 'test', NULL, '{}', 'p', 'h1', NULL, NULL)`);
    migrate(db, 8);
    expect(currentVersion(db)).toBe(8);
    expect(db.get<{ pending_mac: string | null; hash: string }>(sql`SELECT pending_mac, hash FROM audit_log WHERE seq = 1`)).toEqual({ pending_mac: null, hash: 'h1' });
    expect(() => db.run(sql`UPDATE audit_log SET pending_mac = 'x' WHERE seq = 1`)).toThrow(/append-only: entries cannot be changed/);
    db.run(sql`UPDATE audit_log SET key_id = 'k', signature = 's' WHERE seq = 1`); // sealing stays allowed
    db.run(sql`INSERT INTO audit_pending_key (id, epoch, next_index, key) VALUES (1, 'e', 0, ${new Uint8Array(32)})`);
    expect(() => db.run(sql`INSERT INTO audit_pending_key (id, epoch, next_index, key) VALUES (2, 'e', 0, ${new Uint8Array(32)})`)).toThrow(/CHECK constraint failed/);
    db.run(sql`INSERT INTO audit_witness (id, seq, hash, key_id, signature) VALUES (1, 1, 'h1', 'k', 's')`);
    expect(() => db.run(sql`INSERT INTO audit_witness (id, seq, hash, key_id, signature) VALUES (2, 1, 'h1', 'k', 's')`)).toThrow(/CHECK constraint failed/);
  });
});
