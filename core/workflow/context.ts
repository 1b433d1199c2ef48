// The approval machine's context: what an item was submitted as, where it is on its route, who has approved.
import type { Role } from '../directory/roles.ts';
import type { EventName, SubmitMetadata, WorkflowEvent } from './events.ts';
import { routeFor, type Classification, type Flag, type StageDef, type WorkflowTemplate } from './template.ts';

export const STATES = ['draft', 'in_review', 'changes_requested', 'approved', 'published', 'rejected', 'withdrawn'] as const;
export type WorkflowState = (typeof STATES)[number];

export interface Approval {
  stage: string;
  /** The stage role the approver acted in. */
  role: Role;
  by: string;
  at: string;
  comment: string | null;
}

export interface HistoryEntry {
  at: string;
  actor: string;
  event: EventName;
  /** The review stage the event acted on (for submit and resubmit, the stage the item entered); else null. */
  stage: string | null;
  comment: string | null;
}

export interface WorkflowContext {
  template: WorkflowTemplate | null;
  submittedBy: string | null;
  classification: Classification | null;
  flags: Flag[];
  embargo: string | null;
  consent: string | null;
  /** The ids of the stages that apply to this item, in order. */
  route: string[];
  stageIndex: number;
  /** The approvals of the current review round (a resubmission starts a new round). */
  approvals: Approval[];
  history: HistoryEntry[];
  publicationId: string | null;
}

export const INITIAL_CONTEXT: WorkflowContext = {
  template: null,
  submittedBy: null,
  classification: null,
  flags: [],
  embargo: null,
  consent: null,
  route: [],
  stageIndex: 0,
  approvals: [],
  history: [],
  publicationId: null,
};

/** The template an event is judged by: the one it brings (SUBMIT) or the one the item was submitted under. */
export function templateFor(ctx: WorkflowContext, ev: WorkflowEvent): WorkflowTemplate | null {
  return ev.type === 'SUBMIT' ? ev.template : ctx.template;
}

export function currentStage(ctx: WorkflowContext): StageDef | null {
  const id = ctx.route[ctx.stageIndex];
  return ctx.template?.stages.find((s) => s.id === id) ?? null;
}

export function approvalsAtStage(ctx: WorkflowContext, stage: string): Approval[] {
  return ctx.approvals.filter((a) => a.stage === stage);
}

/** The item's metadata once this event is applied (SUBMIT sets it, RESUBMIT may change parts of it). */
export function metadataAfter(ctx: WorkflowContext, ev: WorkflowEvent): SubmitMetadata {
  if (ev.type === 'SUBMIT') return { classification: ev.classification, flags: ev.flags, embargo: ev.embargo, consent: ev.consent };
  const now: SubmitMetadata = { classification: ctx.classification ?? 'internal', flags: ctx.flags, embargo: ctx.embargo, consent: ctx.consent };
  return ev.type === 'RESUBMIT' ? { ...now, ...ev.changes } : now;
}

export function routeAfter(ctx: WorkflowContext, ev: WorkflowEvent): string[] {
  const t = templateFor(ctx, ev);
  if (!t) return [];
  const m = metadataAfter(ctx, ev);
  return routeFor(t, m.classification, m.flags);
}

/**
 * Everyone who submitted or resubmitted the item: read from its history, which the machine rebuilds from the
 * events, so items stored before this rule get it too without a change to their snapshots.
 */
export function submittersOf(ctx: WorkflowContext): string[] {
  const out = ctx.submittedBy ? [ctx.submittedBy] : [];
  for (const h of ctx.history) if ((h.event === 'submit' || h.event === 'resubmit') && !out.includes(h.actor)) out.push(h.actor);
  return out;
}
