// The workflow as the desk runs it: load an item by replaying its events, ask the machine, and record the event,
// the new snapshot and the audit entry in one transaction. A refused action is an audit entry too (who tried what,
// and why it was refused), and then a NOT_PERMITTED or WORKFLOW_TRANSITION_REFUSED error.
import { dirname } from 'node:path';
import { canonicalJson } from '../audit/canonical-json.ts';
import { authorizeActor } from '../authz/policy.ts';
import { getAuditEntry, signedEntry, type AuditLog } from '../audit/log.ts';
import type { Signer } from '../crypto/keyring.ts';
import type { Actor } from '../directory/roles.ts';
import { CustodyError } from '../errors.ts';
import { sha256Hex } from '../media/hash.ts';
import { newRecordId } from '../provenance/fingerprint.ts';
import type { WritableDB } from '../store/db.ts';
import { getRecord, type SignedRecord } from '../store/records.ts';
import type { Approval, HistoryEntry, WorkflowState } from './context.ts';
import { EVENT_NAMES, parseClassification, parseFlags, parseInstant, parseText, type EventName, type EventOf, type WorkflowEvent } from './events.ts';
import { getItemRow, getPublication, insertEventRow, listEventRows, listWorkflowItemIds, upsertItemRow } from './items.ts';
import { stageOf, stateOf, whyRefused, type WorkflowSnapshot } from './machine.ts';
import { publishItem, publishTarget, toPublishedApprovals, type PublishContext, type PublishReceipt } from './publish.ts';
import { checkItem, eventDigest, persistSnapshot, replay, type ItemCheck } from './replay.ts';
import { notSigner, type Refusal } from './rules.ts';
import { DEFAULT_TEMPLATE, getTemplate, listTemplates, saveTemplate, type Classification, type Flag, type TemplateInfo } from './template.ts';

export interface WorkflowDeps {
  db: WritableDB;
  audit: AuditLog;
  /** The org signer, for publishing; throws KEY_LOCKED while the vault is locked. */
  signer: () => Signer;
  /** The org's C2PA signer for the published manifest (null: none on this desk). */
  c2pa: () => Promise<PublishContext['c2pa']>;
  org: () => string;
  /** Judges an output folder handed in (core/paths/confine.ts) and returns the real path to write to. */
  outputFolder: (dir: string) => string;
}

export interface SubmitOptions {
  template?: string;
  classification?: string;
  flags?: readonly string[];
  embargo?: string | null;
  consent?: string | null;
  note?: string | null;
}

export type ResubmitOptions = Omit<SubmitOptions, 'template'>;

export interface ItemStatus {
  item: string;
  state: WorkflowState;
  stage: string | null;
  template: string | null;
  classification: Classification | null;
  flags: Flag[];
  embargo: string | null;
  consent: string | null;
  submittedBy: string | null;
  route: string[];
  approvals: Approval[];
  history: HistoryEntry[];
  publication: { id: string; output: string; sha256: string; publishedAt: string } | null;
  /** The events the given user may send now. */
  can: EventName[];
}

const REVIEW_COMMENT_MAX = 4000;

interface Loaded {
  record: SignedRecord;
  /** Who signed the item (its `record.signed` audit entry); null when no entry names anyone. */
  signer: string | null;
  events: WorkflowEvent[];
  snapshot: WorkflowSnapshot;
}

export function refusalError(r: Refusal, itemId: string): CustodyError {
  return new CustodyError(r.code, r.message, { item: itemId, rule: r.rule });
}

export class Workflow {
  readonly #deps: WorkflowDeps;

  constructor(deps: WorkflowDeps) {
    this.#deps = deps;
  }

  templates(): TemplateInfo[] {
    return listTemplates(this.#deps.db);
  }

  template(name: string): TemplateInfo {
    const t = getTemplate(this.#deps.db, name);
    if (!t) throw new CustodyError('NOT_FOUND', `expected a workflow template named ${name}, got none (templates: ${this.templates().map((x) => x.template.name).join(', ')})`);
    return t;
  }

  saveTemplate(by: Actor, definition: unknown, now = new Date()): TemplateInfo {
    return saveTemplate(this.#deps.db, this.#deps.audit, by, definition, now);
  }

  #record(itemId: string): SignedRecord {
    const record = getRecord(this.#deps.db, itemId);
    if (!record || record.kind === 'segment') throw new CustodyError('NOT_FOUND', `expected the record id of a signed item (from \`custody sign\`), got ${JSON.stringify(itemId)}`);
    return record;
  }

  /** Replays the item's events and checks them against their audit entries and the stored snapshot. */
  #load(itemId: string): Loaded {
    const record = this.#record(itemId);
    const rows = listEventRows(this.#deps.db, itemId);
    const check = checkItem(itemId, rows, getItemRow(this.#deps.db, itemId), (seq) => getAuditEntry(this.#deps.db, seq));
    if (!check.ok || !check.snapshot) throw new CustodyError('INTEGRITY_FAILED', check.problem ?? `expected ${itemId} to replay, got a failure`);
    return { record, signer: signedEntry(this.#deps.db, itemId)?.actor ?? null, events: rows.map((r) => JSON.parse(r.event) as WorkflowEvent), snapshot: check.snapshot };
  }

  /** Appends the event: replay with it, store event + snapshot + audit entry. Call inside a transaction. */
  #commit(itemId: string, loaded: Loaded, event: WorkflowEvent, extra: Record<string, unknown> = {}): WorkflowSnapshot {
    const { db, audit } = this.#deps;
    const next = replay([...loaded.events, event], itemId);
    const seq = loaded.events.length + 1;
    const entry = audit.append({
      actor: event.actor,
      action: `workflow.${EVENT_NAMES[event.type]}`,
      subject: itemId,
      details: { eventSeq: seq, eventSha256: eventDigest(event), state: stateOf(next), stage: stageOf(next), ...summary(event), ...extra },
      at: event.at,
    });
    insertEventRow(db, { item_id: itemId, seq, type: event.type, actor: event.actor, at: event.at, event: canonicalJson(event), audit_seq: entry.seq });
    upsertItemRow(db, {
      item_id: itemId,
      state: stateOf(next),
      stage: stageOf(next),
      template: next.context.template?.name ?? '',
      event_count: seq,
      snapshot: persistSnapshot(next),
      updated_at: event.at,
    });
    return next;
  }

  #auditRefusal(itemId: string, event: WorkflowEvent, r: Refusal, snapshot: WorkflowSnapshot): void {
    this.#deps.audit.append({
      actor: event.actor,
      action: 'workflow.refused',
      subject: itemId,
      details: { event: EVENT_NAMES[event.type], code: r.code, rule: r.rule, reason: r.message, state: stateOf(snapshot), stage: stageOf(snapshot) },
      at: event.at,
    });
  }

  /** Loads and asks the machine; a refusal is audited (and committed) before it is thrown. */
  #admit(itemId: string, event: WorkflowEvent, then: (loaded: Loaded) => WorkflowSnapshot | null = () => null): { loaded: Loaded; next: WorkflowSnapshot | null } {
    const outcome = this.#deps.audit.act((): { refusal: Refusal } | { loaded: Loaded; next: WorkflowSnapshot | null } => {
      const loaded = this.#load(itemId);
      const refusal = refusalOf(loaded, event);
      if (refusal) {
        this.#auditRefusal(itemId, event, refusal, loaded.snapshot);
        return { refusal };
      }
      return { loaded, next: then(loaded) };
    });
    if ('refusal' in outcome) throw refusalError(outcome.refusal, itemId);
    return outcome;
  }

  #send(actor: Actor, itemId: string, event: WorkflowEvent, now: Date): ItemStatus {
    const { loaded, next } = this.#admit(itemId, event, (l) => this.#commit(itemId, l, event));
    return this.#status(loaded, next ?? loaded.snapshot, actor, now);
  }

  submit(actor: Actor, itemId: string, opts: SubmitOptions = {}, now = new Date()): ItemStatus {
    authorizeActor('submit', actor);
    const template = this.template(opts.template ?? DEFAULT_TEMPLATE).template;
    const m = metadata(opts, { classification: 'internal', flags: [], embargo: null, consent: null }).full;
    const event: EventOf<'SUBMIT'> = { type: 'SUBMIT', ...base(actor, now), template, ...m, note: parseText(opts.note, 'a note', REVIEW_COMMENT_MAX) };
    return this.#send(actor, itemId, event, now);
  }

  approve(actor: Actor, itemId: string, opts: { comment?: string | null } = {}, now = new Date()): ItemStatus {
    authorizeActor('approve', actor);
    return this.#send(actor, itemId, { type: 'APPROVE', ...base(actor, now), comment: parseText(opts.comment, 'a comment', REVIEW_COMMENT_MAX) }, now);
  }

  reject(actor: Actor, itemId: string, opts: { comment: string }, now = new Date()): ItemStatus {
    authorizeActor('reject', actor);
    return this.#send(actor, itemId, { type: 'REJECT', ...base(actor, now), comment: parseText(opts.comment, 'a comment', REVIEW_COMMENT_MAX) ?? '' }, now);
  }

  requestChanges(actor: Actor, itemId: string, opts: { comment: string }, now = new Date()): ItemStatus {
    authorizeActor('requestChanges', actor);
    return this.#send(actor, itemId, { type: 'REQUEST_CHANGES', ...base(actor, now), comment: parseText(opts.comment, 'a comment', REVIEW_COMMENT_MAX) ?? '' }, now);
  }

  resubmit(actor: Actor, itemId: string, opts: ResubmitOptions = {}, now = new Date()): ItemStatus {
    authorizeActor('resubmit', actor);
    const c = this.#load(itemId).snapshot.context;
    const { changes } = metadata(opts, { classification: c.classification ?? 'internal', flags: c.flags, embargo: c.embargo, consent: c.consent });
    return this.#send(actor, itemId, { type: 'RESUBMIT', ...base(actor, now), changes, note: parseText(opts.note, 'a note', REVIEW_COMMENT_MAX) }, now);
  }

  withdraw(actor: Actor, itemId: string, opts: { comment?: string | null } = {}, now = new Date()): ItemStatus {
    authorizeActor('withdraw', actor);
    return this.#send(actor, itemId, { type: 'WITHDRAW', ...base(actor, now), comment: parseText(opts.comment, 'a comment', REVIEW_COMMENT_MAX) }, now);
  }

  /** Publishes an approved item: a new signed output with its approvals (see publish.ts). Needs the vault unlocked. */
  async publish(actor: Actor, itemId: string, opts: { outDir?: string } = {}, now = new Date()): Promise<{ receipt: PublishReceipt; status: ItemStatus }> {
    authorizeActor('publish', actor);
    const event: EventOf<'PUBLISH'> = { type: 'PUBLISH', ...base(actor, now), publicationId: newRecordId(now).replace(/^rec_/, 'pub_') };
    const { loaded } = this.#admit(itemId, event);
    const signer = this.#deps.signer();
    const c2pa = await this.#deps.c2pa();
    let next: WorkflowSnapshot | null = null;
    const publishFolder = opts.outDir ?? (loaded.record.outputPath ? dirname(loaded.record.outputPath) : undefined);
    const receipt = await publishItem(
      {
        db: this.#deps.db,
        signer,
        c2pa,
        org: this.#deps.org(),
        onPublished: (_db, r) => {
          // Checked again inside the transaction: another desk process may have acted since.
          const fresh = this.#load(itemId);
          const refusal = refusalOf(fresh, event);
          if (refusal) throw refusalError(refusal, itemId);
          next = this.#commit(itemId, fresh, event, { output: r.output, outputSha256: r.outputSha256, statementSha256: sha256Hex(r.statement) });
        },
      },
      loaded.record,
      { id: event.publicationId, approvals: toPublishedApprovals(loaded.snapshot.context.approvals), publishedBy: actor.name },
      // the folder asked for, else the signed copy's: confined either way (the desk's own folders refused), since the
      // signed copy's folder may have been swapped for a link since it was written there
      publishTarget(loaded.record, publishFolder === undefined ? undefined : this.#deps.outputFolder(publishFolder)),
      now,
    );
    this.#deps.audit.writeCheckpoint();
    const after = next ?? this.#load(itemId).snapshot;
    return { receipt, status: this.#status(loaded, after, actor, now) };
  }

  status(actor: Actor | null, itemId: string, now = new Date()): ItemStatus {
    const loaded = this.#load(itemId);
    return this.#status(loaded, loaded.snapshot, actor, now);
  }

  /**
   * The events this user could send now: each candidate is asked of the machine with `can()`, and of the signer
   * rule (`signer`: who signed the item) that the service adds to it.
   */
  can(actor: Actor | null, snapshot: WorkflowSnapshot, signer: string | null, now = new Date()): EventName[] {
    if (!actor) return [];
    const b = base(actor, now);
    const template = getTemplate(this.#deps.db, snapshot.context.template?.name ?? DEFAULT_TEMPLATE)?.template;
    const candidates: WorkflowEvent[] = [
      { type: 'APPROVE', ...b, comment: null },
      { type: 'REJECT', ...b, comment: 'why' },
      { type: 'REQUEST_CHANGES', ...b, comment: 'why' },
      { type: 'RESUBMIT', ...b, changes: {}, note: null },
      { type: 'WITHDRAW', ...b, comment: null },
      { type: 'PUBLISH', ...b, publicationId: 'pub_candidate' },
    ];
    if (template) candidates.unshift({ type: 'SUBMIT', ...b, template, classification: 'internal', flags: [], embargo: null, consent: null, note: null });
    return candidates.filter((ev) => snapshot.can(ev) && notSigner(signer, ev) === null).map((ev) => EVENT_NAMES[ev.type]);
  }

  #status(loaded: Loaded, s: WorkflowSnapshot, actor: Actor | null, now: Date): ItemStatus {
    const { record } = loaded;
    const c = s.context;
    const pub = c.publicationId ? getPublication(this.#deps.db, c.publicationId) : null;
    return {
      item: record.id,
      state: stateOf(s),
      stage: stageOf(s),
      template: c.template?.name ?? null,
      classification: c.classification,
      flags: c.flags,
      embargo: c.embargo,
      consent: c.consent,
      submittedBy: c.submittedBy,
      route: c.route,
      approvals: c.approvals,
      history: c.history,
      publication: pub ? { id: pub.id, output: pub.output_path, sha256: pub.output_sha256, publishedAt: pub.published_at } : null,
      can: this.can(actor, s, loaded.signer, now),
    };
  }

  /** Rebuilds one item from its events and compares; never throws for a mismatch, it reports it. */
  check(itemId: string): ItemCheck {
    const { snapshot: _, ...result } = checkItem(itemId, listEventRows(this.#deps.db, itemId), getItemRow(this.#deps.db, itemId), (seq) => getAuditEntry(this.#deps.db, seq));
    return result;
  }

  checkAll(): ItemCheck[] {
    return listWorkflowItemIds(this.#deps.db).map((id) => this.check(id));
  }
}

/** Why the event is refused: the machine's rules, then the signer's (notSigner); null when it may go ahead. */
function refusalOf(loaded: Loaded, event: WorkflowEvent): Refusal | null {
  return whyRefused(loaded.snapshot, event) ?? notSigner(loaded.signer, event);
}

function base(actor: Actor, now: Date) {
  return { actor: actor.name, roles: [...actor.roles], at: now.toISOString() };
}

type Metadata = Pick<EventOf<'SUBMIT'>, 'classification' | 'flags' | 'embargo' | 'consent'>;

/** Parses the metadata options given over `current` (defaults for SUBMIT, the item's own for RESUBMIT). */
function metadata(o: ResubmitOptions, current: Metadata): { full: Metadata; changes: Partial<Metadata> } {
  const changes: Partial<Metadata> = {};
  if (o.classification !== undefined) changes.classification = parseClassification(o.classification);
  if (o.flags !== undefined && o.flags.length > 0) changes.flags = parseFlags(o.flags);
  if (o.embargo !== undefined && o.embargo !== null) {
    changes.embargo = parseInstant(o.embargo, 'the embargo time');
    // An embargo time implies the embargo flag.
    changes.flags = parseFlags([...(changes.flags ?? current.flags), 'embargo']);
  }
  if (o.consent !== undefined && o.consent !== null) changes.consent = parseText(o.consent, 'a consent reference', 200);
  return { full: { ...current, ...changes }, changes };
}

/** What the audit entry says about an event (the full event is bound by its SHA-256). */
function summary(ev: WorkflowEvent): Record<string, unknown> {
  switch (ev.type) {
    case 'SUBMIT':
      return { template: ev.template.name, templateSha256: sha256Hex(canonicalJson(ev.template)), classification: ev.classification, flags: ev.flags, embargo: ev.embargo, consent: ev.consent, note: ev.note };
    case 'RESUBMIT':
      return { changes: ev.changes, note: ev.note };
    case 'APPROVE':
    case 'REJECT':
    case 'REQUEST_CHANGES':
    case 'WITHDRAW':
      return { comment: ev.comment };
    case 'PUBLISH':
      return { publicationId: ev.publicationId };
  }
}
