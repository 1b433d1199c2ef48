// Workflow rows: each item's event log (the source of truth), its stored snapshot (a cache that replay checks),
// and publications.
import { sql, type ReadableDB, type WritableDB } from '../store/db.ts';

export interface EventRow {
  item_id: string;
  seq: number;
  type: string;
  actor: string;
  at: string;
  event: string;
  audit_seq: number;
}

export interface ItemRow {
  item_id: string;
  state: string;
  stage: string | null;
  template: string;
  event_count: number;
  snapshot: string;
  updated_at: string;
}

export function listEventRows(db: ReadableDB, itemId: string): EventRow[] {
  return db.all<EventRow>(sql`SELECT * FROM workflow_events WHERE item_id = ${itemId} ORDER BY seq`);
}

export function insertEventRow(db: WritableDB, r: EventRow): void {
  db.run(sql`INSERT INTO workflow_events (item_id, seq, type, actor, at, event, audit_seq)
             VALUES (${r.item_id}, ${r.seq}, ${r.type}, ${r.actor}, ${r.at}, ${r.event}, ${r.audit_seq})`);
}

export function getItemRow(db: ReadableDB, itemId: string): ItemRow | null {
  return db.get<ItemRow>(sql`SELECT * FROM workflow_items WHERE item_id = ${itemId}`) ?? null;
}

export function upsertItemRow(db: WritableDB, r: ItemRow): void {
  db.run(sql`INSERT INTO workflow_items (item_id, state, stage, template, event_count, snapshot, updated_at)
             VALUES (${r.item_id}, ${r.state}, ${r.stage}, ${r.template}, ${r.event_count}, ${r.snapshot}, ${r.updated_at})
             ON CONFLICT (item_id) DO UPDATE SET state = excluded.state, stage = excluded.stage, template = excluded.template,
               event_count = excluded.event_count, snapshot = excluded.snapshot, updated_at = excluded.updated_at`);
}

/** Items that have a workflow (at least one event or a stored snapshot). */
export function listWorkflowItemIds(db: ReadableDB): string[] {
  return db
    .all<{ item_id: string }>(sql`SELECT item_id FROM workflow_items UNION SELECT DISTINCT item_id FROM workflow_events ORDER BY item_id`)
    .map((r) => r.item_id);
}

export interface PublicationRow {
  id: string;
  item_id: string;
  output_path: string;
  output_sha256: string;
  source_sha256: string;
  approvals: string;
  published_at: string;
  published_by: string;
  statement: string;
  signature: string;
  public_key: string;
  key_id: string;
}

export function insertPublication(db: WritableDB, p: PublicationRow): void {
  db.run(sql`INSERT INTO publications (id, item_id, output_path, output_sha256, source_sha256, approvals, published_at, published_by,
               statement, signature, public_key, key_id)
             VALUES (${p.id}, ${p.item_id}, ${p.output_path}, ${p.output_sha256}, ${p.source_sha256}, ${p.approvals}, ${p.published_at},
               ${p.published_by}, ${p.statement}, ${p.signature}, ${p.public_key}, ${p.key_id})`);
}

export function getPublication(db: ReadableDB, id: string): PublicationRow | null {
  return db.get<PublicationRow>(sql`SELECT * FROM publications WHERE id = ${id}`) ?? null;
}

/** The publications of an item, newest first. */
export function listPublicationsOf(db: ReadableDB, itemId: string): PublicationRow[] {
  return db.all<PublicationRow>(sql`SELECT * FROM publications WHERE item_id = ${itemId} ORDER BY published_at DESC, id DESC`);
}

/** The publication whose published file has these bytes. */
export function findPublicationBySha256(db: ReadableDB, sha256: string): PublicationRow | null {
  return db.get<PublicationRow>(sql`SELECT * FROM publications WHERE output_sha256 = ${sha256} ORDER BY published_at DESC LIMIT 1`) ?? null;
}
