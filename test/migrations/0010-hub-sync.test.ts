import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';
import { insertRecord, type SignedRecord } from '../../core/store/records.ts';

const rec = (id: string, kind: SignedRecord['kind'], signedAt: string, parentId: string | null = null): SignedRecord => ({
  id, kind, parentId, inputName: `${id}.jpg`, inputPath: null, outputPath: null, format: kind === 'image' ? 'jpeg' : 'mp4', width: 1, height: 1,
  sha256: '0'.repeat(64), outputSha256: null, phash: '0'.repeat(16), payload: null, watermark: 'embedded', fingerprint: 'f', signature: '0'.repeat(128),
  publicKey: '0'.repeat(64), keyId: 'k', signedAt, details: {},
});

describe('migration 0010: the hub outbox, link, proofs and checkpoints', () => {
  it('queues every record an older desk signed, videos before their segments, and adds the empty tables', () => {
    const db = openStore(':memory:', { targetVersion: 9 });
    db.raw.pragma('foreign_keys = OFF');
    insertRecord(db, rec('rec_b', 'video', '2025-01-02T00:00:00.000Z'));
    insertRecord(db, rec('rec_c', 'segment', '2025-01-01T00:00:00.000Z', 'rec_b'));
    insertRecord(db, rec('rec_a', 'image', '2025-01-03T00:00:00.000Z'));
    migrate(db, 10);
    expect(currentVersion(db)).toBe(10);
    const rows = db.all<{ kind: string; ref: string; state: string }>(sql`SELECT kind, ref, state FROM outbox ORDER BY seq`);
    // The segment was signed earliest, but is queued after every parent.
    expect(rows).toEqual([
      { kind: 'record', ref: 'rec_b', state: 'pending' },
      { kind: 'record', ref: 'rec_a', state: 'pending' },
      { kind: 'record', ref: 'rec_c', state: 'pending' },
    ]);
    for (const t of ['hub_link', 'hub_proofs', 'hub_checkpoints']) expect(db.get<{ n: number }>({ text: `SELECT count(*) AS n FROM ${t}`, params: [] })?.n).toBe(0);
    // A change is queued once, and states are only the three the worker knows.
    expect(() => db.run(sql`INSERT INTO outbox (kind, ref, created_at) VALUES ('record', 'rec_a', 'now')`)).toThrow(/UNIQUE/);
    expect(() => db.run(sql`UPDATE outbox SET state = 'lost' WHERE ref = 'rec_a'`)).toThrow(/CHECK/);
    expect(() => db.run(sql`INSERT INTO hub_link (id, url, desk_id, desk_name, org, tenant_id, api_key_id, connected_at) VALUES (2, 'u', 'd', 'n', 'o', 't', 'k', 'now')`)).toThrow(/CHECK/);
  });
});
