import { sql } from '../db.ts';
import type { Migration } from '../migrate.ts';

// The approval workflow (issue 6): templates as data, each item's event log (the source of truth), the stored
// machine snapshot (a cache that replay must reproduce), and publications.
// The default `news` template is written out here rather than imported, so that this migration stays what it
// was when it shipped even after the code's idea of a template changes.
const NEWS_TEMPLATE = {
  name: 'news',
  description: 'Desk editor, then legal when the item needs it, then the desk chief.',
  submitRoles: ['editor'],
  publishRoles: ['editor', 'chief'],
  stages: [
    { id: 'desk', roles: ['editor'], quorum: 1 },
    {
      id: 'legal',
      roles: ['legal'],
      quorum: 1,
      when: { flags: ['personal-data', 'trademark', 'export-control'], classifications: ['confidential', 'restricted'] },
      checks: ['consent'],
    },
    { id: 'chief', roles: ['chief'], quorum: 1 },
  ],
};

const migration: Migration = {
  version: 4,
  name: 'workflow',
  up(db) {
    db.exec(`
      CREATE TABLE workflow_templates (
        name TEXT PRIMARY KEY,
        definition TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
      ) STRICT;

      CREATE TABLE workflow_events (
        item_id TEXT NOT NULL REFERENCES records(id),
        seq INTEGER NOT NULL CHECK (seq >= 1),
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        audit_seq INTEGER NOT NULL REFERENCES audit_log(seq),
        PRIMARY KEY (item_id, seq)
      ) STRICT;

      CREATE TABLE workflow_items (
        item_id TEXT PRIMARY KEY REFERENCES records(id),
        state TEXT NOT NULL,
        stage TEXT,
        template TEXT NOT NULL,
        event_count INTEGER NOT NULL,
        snapshot TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      CREATE INDEX workflow_items_state ON workflow_items(state, stage);

      CREATE TABLE publications (
        id TEXT PRIMARY KEY,
        item_id TEXT NOT NULL REFERENCES records(id),
        output_path TEXT NOT NULL,
        output_sha256 TEXT NOT NULL,
        source_sha256 TEXT NOT NULL,
        approvals TEXT NOT NULL,
        published_at TEXT NOT NULL,
        published_by TEXT NOT NULL,
        statement TEXT NOT NULL,
        signature TEXT NOT NULL,
        public_key TEXT NOT NULL,
        key_id TEXT NOT NULL REFERENCES signing_keys(id)
      ) STRICT;

      CREATE INDEX publications_item ON publications(item_id);
      CREATE INDEX publications_output_sha256 ON publications(output_sha256);
    `);
    db.run(sql`INSERT INTO workflow_templates (name, definition, version, updated_at, updated_by)
               VALUES (${NEWS_TEMPLATE.name}, ${JSON.stringify(NEWS_TEMPLATE)}, 1, ${new Date().toISOString()}, 'system')`);
  },
};

export default migration;
