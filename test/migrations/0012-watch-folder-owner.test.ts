// Migration 0012 (Signal's pattern): an in-memory database at version 11, seeded, migrated to 12, then checked.
import { describe, expect, it } from 'vitest';
import { openStore, sql, type Store } from '../../core/store/db.ts';
import { currentVersion, migrate } from '../../core/store/migrate.ts';

const folder = (db: Store, id: string, path: string) =>
  db.run(sql`INSERT INTO watch_folders (id, path, out_dir, created_at, updated_at) VALUES (${id}, ${path}, ${`${path}-out`}, 'then', 'then')`);

let n = 0;
const audit = (db: Store, actor: string, action: string, subject: string) =>
  db.run(sql`INSERT INTO audit_log (at, actor, action, subject, details, prev_hash, hash) VALUES ('then', ${actor}, ${action}, ${subject}, '{}', 'p', ${`h${++n}`})`);

describe('migration 0012: a watched folder records who configured it', () => {
  it('takes the owner from the audit entry that added the folder, else "desk"', () => {
    const db = openStore(':memory:', { targetVersion: 11 });
    folder(db, 'wf_app', '/in/app');
    folder(db, 'wf_cli', '/in/cli');
    audit(db, 'erin', 'watch.folder_added', 'wf_app');
    audit(db, 'ada', 'watch.folder_removed', 'wf_app');
    audit(db, 'eve', 'record.signed', 'wf_cli');
    migrate(db, 12);
    expect(currentVersion(db)).toBe(12);
    expect(db.all(sql`SELECT id, created_by FROM watch_folders ORDER BY id`)).toEqual([
      { id: 'wf_app', created_by: 'erin' },
      { id: 'wf_cli', created_by: 'desk' },
    ]);
  });
});
