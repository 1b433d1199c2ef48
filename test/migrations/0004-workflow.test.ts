import { describe, expect, it } from 'vitest';
import { openStore, sql } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';
import { parseTemplate, routeFor } from '../../core/workflow/template.ts';

describe('migration 0004: the workflow', () => {
  it('adds the workflow tables and the default news template to a version-3 desk', () => {
    const db = openStore(':memory:', { targetVersion: 3 });
    db.run(sql`INSERT INTO vault_secrets (name, nonce, ciphertext, created_at) VALUES ('s', ${new Uint8Array(12)}, ${new Uint8Array(16)}, 'now')`);
    db.run(sql`INSERT INTO signing_keys (id, algorithm, public_key, secret_name, created_at) VALUES ('k1', 'ed25519', 'pk', 's', 'now')`);
    db.run(sql`INSERT INTO records (id, kind, input_name, format, sha256, watermark, fingerprint, signature, public_key, key_id, signed_at)
               VALUES ('rec_1', 'image', 'a.jpg', 'jpeg', 'aa', 'embedded', 'f', 's', 'pk', 'k1', 'now')`);
    db.run(sql`INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) VALUES (1, 'now', 'system', 'audit.started', '{}', 'p', 'h1')`);

    migrate(db, 4);
    expect(currentVersion(db)).toBe(4);

    const rows = db.all<{ name: string; definition: string; version: number }>(sql`SELECT name, definition, version FROM workflow_templates`);
    expect(rows.map((r) => [r.name, r.version])).toEqual([['news', 1]]);
    const news = parseTemplate(JSON.parse(rows[0]!.definition));
    expect(news.stages.map((s) => [s.id, s.roles, s.quorum])).toEqual([['desk', ['editor'], 1], ['legal', ['legal'], 1], ['chief', ['chief'], 1]]);
    expect(routeFor(news, 'internal', [])).toEqual(['desk', 'chief']);
    expect(routeFor(news, 'internal', ['personal-data'])).toEqual(['desk', 'legal', 'chief']);
    expect(routeFor(news, 'restricted', [])).toEqual(['desk', 'legal', 'chief']);
    expect(routeFor(news, 'public', ['embargo'])).toEqual(['desk', 'chief']);

    db.run(sql`INSERT INTO workflow_events (item_id, seq, type, actor, at, event, audit_seq) VALUES ('rec_1', 1, 'SUBMIT', 'ed', 'now', '{}', 1)`);
    expect(() => db.run(sql`INSERT INTO workflow_events (item_id, seq, type, actor, at, event, audit_seq) VALUES ('rec_1', 1, 'APPROVE', 'eve', 'now', '{}', 1)`)).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => db.run(sql`INSERT INTO workflow_events (item_id, seq, type, actor, at, event, audit_seq) VALUES ('rec_2', 1, 'SUBMIT', 'ed', 'now', '{}', 1)`)).toThrow(/FOREIGN KEY/);
    expect(() => db.run(sql`INSERT INTO workflow_events (item_id, seq, type, actor, at, event, audit_seq) VALUES ('rec_1', 2, 'APPROVE', 'eve', 'now', '{}', 99)`)).toThrow(/FOREIGN KEY/);
    expect(() => db.run(sql`INSERT INTO publications (id, item_id, output_path, output_sha256, source_sha256, approvals, published_at, published_by, statement, signature, public_key, key_id)
                            VALUES ('pub_1', 'rec_1', 'o', 'a', 'b', '[]', 'now', 'ed', '{}', 's', 'pk', 'no-key')`)).toThrow(/FOREIGN KEY/);
  });
});
