// The state of an item is the replay of its events through the machine: a stored snapshot is only a cache, and
// it can always be rebuilt from the events and checked against them. Each event is also bound to its audit entry
// (the entry holds the event's SHA-256), so editing an event row shows even when the snapshot is edited to match.
import { createActor } from 'xstate';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { AuditEntry } from '../audit/entry.ts';
import { CustodyError } from '../errors.ts';
import { sha256Hex } from '../media/hash.ts';
import { EVENT_NAMES, WorkflowEventSchema, type WorkflowEvent } from './events.ts';
import type { EventRow, ItemRow } from './items.ts';
import { stageOf, stateOf, whyRefused, workflowMachine, type WorkflowSnapshot } from './machine.ts';

export const eventDigest = (ev: WorkflowEvent): string => sha256Hex(new TextEncoder().encode(canonicalJson(ev)));

export function parseStoredEvent(row: EventRow): WorkflowEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(row.event);
  } catch {
    throw new CustodyError('INTEGRITY_FAILED', `expected event ${row.seq} of ${row.item_id} to be JSON, got something else`);
  }
  const r = WorkflowEventSchema.safeParse(raw);
  if (!r.success) throw new CustodyError('INTEGRITY_FAILED', `expected event ${row.seq} of ${row.item_id} to be a workflow event, got one where ${r.error.issues[0]?.message}`);
  if (r.data.type !== row.type || r.data.actor !== row.actor || r.data.at !== row.at) {
    throw new CustodyError('INTEGRITY_FAILED', `expected event ${row.seq} of ${row.item_id} to agree with its columns (type, actor, at), got a row that does not`);
  }
  return r.data;
}

/** Runs events through a fresh machine; an event the machine refuses means the log was altered. */
export function replay(events: readonly WorkflowEvent[], itemId = 'the item'): WorkflowSnapshot {
  const actor = createActor(workflowMachine).start();
  for (const [i, ev] of events.entries()) {
    const snapshot = actor.getSnapshot();
    if (!snapshot.can(ev)) {
      const why = whyRefused(snapshot, ev)?.message ?? 'the machine does not take it';
      throw new CustodyError('INTEGRITY_FAILED', `expected event ${i + 1} of ${itemId} (${EVENT_NAMES[ev.type]} by ${ev.actor}) to be accepted on replay, got a refusal: ${why}`);
    }
    actor.send(ev);
  }
  const snapshot = actor.getSnapshot();
  actor.stop();
  return snapshot;
}

/** The persisted form (XState's getPersistedSnapshot), as canonical JSON so that equal states compare equal. */
export function persistSnapshot(snapshot: WorkflowSnapshot): string {
  return canonicalJson(workflowMachine.getPersistedSnapshot(snapshot));
}

/** Restores an actor from a stored snapshot (createActor with { snapshot }), as the desktop app does on start. */
export function restoreActor(persisted: string) {
  return createActor(workflowMachine, { snapshot: JSON.parse(persisted) as WorkflowSnapshot }).start();
}

export interface ItemCheck {
  itemId: string;
  ok: boolean;
  events: number;
  state: string | null;
  stage: string | null;
  problem: string | null;
}

/**
 * Rebuilds an item from its events and checks: every event is bound to its audit entry, the machine accepts
 * every event, and the stored snapshot equals the replay. Returns the replayed snapshot with the verdict.
 */
export function checkItem(
  itemId: string,
  rows: readonly EventRow[],
  stored: ItemRow | null,
  auditEntry: (seq: number) => AuditEntry | null,
): ItemCheck & { snapshot: WorkflowSnapshot | null } {
  const fail = (problem: string): ItemCheck & { snapshot: null } => ({ itemId, ok: false, events: rows.length, state: stored?.state ?? null, stage: stored?.stage ?? null, problem, snapshot: null });
  const events: WorkflowEvent[] = [];
  for (const [i, row] of rows.entries()) {
    if (row.seq !== i + 1) return fail(`expected event ${i + 1} of ${itemId}, got event ${row.seq}: an event was removed`);
    let ev: WorkflowEvent;
    try {
      ev = parseStoredEvent(row);
    } catch (e) {
      return fail((e as Error).message);
    }
    const entry = auditEntry(row.audit_seq);
    const digest = eventDigest(ev);
    if (!entry || entry.subject !== itemId || entry.details.eventSha256 !== digest) {
      return fail(`expected event ${row.seq} of ${itemId} to match its audit entry ${row.audit_seq}, got an event that does not: it was changed after it was recorded`);
    }
    events.push(ev);
  }
  let snapshot: WorkflowSnapshot;
  try {
    snapshot = replay(events, itemId);
  } catch (e) {
    return fail((e as Error).message);
  }
  const replayed = { state: stateOf(snapshot), stage: stageOf(snapshot) };
  if (events.length === 0 && !stored) return { itemId, ok: true, events: 0, ...replayed, problem: null, snapshot };
  if (!stored) return fail(`expected a stored state for ${itemId}, which has ${events.length} events, got none`);
  const persisted = persistSnapshot(snapshot);
  const label = (state: string, stage: string | null) => `${state}${stage ? ` at stage ${stage}` : ''}`;
  if (stored.event_count !== events.length || stored.state !== replayed.state || stored.stage !== replayed.stage) {
    return fail(`expected the stored state of ${itemId} to equal the replay of its ${events.length} events (${label(replayed.state, replayed.stage)}), got ${label(stored.state, stored.stage)} after ${stored.event_count} events`);
  }
  if (stored.snapshot !== persisted) {
    return fail(`expected the stored snapshot of ${itemId} to equal the replay of its ${events.length} events, got one that differs (same state, other context: approvals, history or metadata were edited)`);
  }
  return { itemId, ok: true, events: events.length, ...replayed, problem: null, snapshot };
}
