import type { Migration } from '../migrate.ts';

// A watched folder acts as the person who configured it (four-eyes counts its submissions as theirs), so the
// folder records them. Folders stored before this learn their owner from the audit entry that added them (the
// desktop app and web mode wrote one); folders added by the CLI before it wrote none are owned by "desk", which
// acts only while the desk has no users: on a desk with users such a folder must be added again by a user.
const migration: Migration = {
  version: 12,
  name: 'watch-folder-owner',
  up(db) {
    db.exec(`
      ALTER TABLE watch_folders ADD COLUMN created_by TEXT;
      UPDATE watch_folders SET created_by = coalesce(
        (SELECT a.actor FROM audit_log a WHERE a.action = 'watch.folder_added' AND a.subject = watch_folders.id ORDER BY a.seq LIMIT 1),
        'desk');
    `);
  },
};

export default migration;
