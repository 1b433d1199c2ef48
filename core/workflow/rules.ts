// The workflow's rules, each a named check that says why it refuses. The machine's guards are these same checks
// (machine.ts), so what `can()` answers and what a refusal explains cannot drift apart.
//
// NOT_PERMITTED: the actor may not do this (role, four-eyes, a second vote). WORKFLOW_TRANSITION_REFUSED: nobody
// may, given the item's state or its compliance (restricted, embargo, missing consent, no comment).
import { isSubmitter, submitterOrAdmin } from '../authz/policy.ts';
import { hasAnyRole } from './template.ts';
import { approvalsAtStage, currentStage, submittersOf, metadataAfter, routeAfter, templateFor, type WorkflowContext, type WorkflowState } from './context.ts';
import { EVENT_NAMES, type WorkflowEvent, type WorkflowEventType } from './events.ts';

export interface Refusal {
  code: 'NOT_PERMITTED' | 'WORKFLOW_TRANSITION_REFUSED';
  /** The rule that refused (a guard name, or `state`). */
  rule: string;
  message: string;
}

type Check = (ctx: WorkflowContext, ev: WorkflowEvent) => Refusal | null;

const roleList = (roles: readonly string[]): string => (roles.length ? roles.join(', ') : 'no roles');
const notPermitted = (rule: string, message: string): Refusal => ({ code: 'NOT_PERMITTED', rule, message });
const refused = (rule: string, message: string): Refusal => ({ code: 'WORKFLOW_TRANSITION_REFUSED', rule, message });

export const RULES = {
  hasSubmitRole: (ctx, ev) => {
    const t = templateFor(ctx, ev);
    if (t && hasAnyRole(ev.roles, t.submitRoles)) return null;
    return notPermitted('hasSubmitRole', `expected a user with role ${roleList(t?.submitRoles ?? [])} to ${EVENT_NAMES[ev.type]}, got ${ev.actor} with ${roleList(ev.roles)}`);
  },

  submissionComplete: (ctx, ev) => {
    const m = metadataAfter(ctx, ev);
    const flagged = m.flags.includes('embargo');
    if (flagged && m.embargo === null) return refused('submissionComplete', 'expected an embargo time (--embargo) with the embargo flag, got none');
    if (!flagged && m.embargo !== null) return refused('submissionComplete', `expected the embargo flag with an embargo time, got the time ${m.embargo} without the flag`);
    if (routeAfter(ctx, ev).length === 0) return refused('submissionComplete', 'expected the template to route the item through at least one stage, got none');
    return null;
  },

  hasStageRole: (ctx, ev) => {
    const stage = currentStage(ctx);
    if (stage && hasAnyRole(ev.roles, stage.roles)) return null;
    return notPermitted('hasStageRole', `expected a user with role ${roleList(stage?.roles ?? [])} to ${EVENT_NAMES[ev.type]} at stage ${stage?.id ?? '(none)'}, got ${ev.actor} with ${roleList(ev.roles)}`);
  },

  /**
   * Four-eyes: no one reviews an item they submitted or resubmitted, at any stage: not approving it, and not
   * rejecting it or asking for changes either (a submitter who wants it out withdraws it, which says so).
   */
  notSubmitter: (ctx, ev) =>
    !isSubmitter(ev.actor, submittersOf(ctx))
      ? null
      : notPermitted('notSubmitter', `expected someone other than a submitter to ${EVENT_NAMES[ev.type]} (four-eyes), got ${ev.actor}, who ${ev.actor === ctx.submittedBy ? 'submitted' : 'resubmitted'} this item`),

  /** Only whoever submitted or resubmitted an item, or an admin, takes it out of the workflow. */
  submitterOrAdmin: (ctx, ev) =>
    submitterOrAdmin(ev.actor, ev.roles, submittersOf(ctx))
      ? null
      : notPermitted('submitterOrAdmin', `expected a submitter of this item (${submittersOf(ctx).join(', ') || 'none'}) or an admin to withdraw it, got ${ev.actor} with ${roleList(ev.roles)}`),

  /** A quorum counts people: one person approves a stage once. */
  notApprovedThisStage: (ctx, ev) => {
    const stage = currentStage(ctx);
    if (!stage || !approvalsAtStage(ctx, stage.id).some((a) => a.by === ev.actor)) return null;
    return notPermitted('notApprovedThisStage', `expected a second approver for stage ${stage.id} (quorum ${stage.quorum}), got ${ev.actor}, who approved it already`);
  },

  /** Personal data needs a consent reference before a stage that checks consent may approve. */
  consentForStage: (ctx, _ev) => {
    const stage = currentStage(ctx);
    if (!stage?.checks?.includes('consent') || !ctx.flags.includes('personal-data') || ctx.consent !== null) return null;
    return refused('consentForStage', `expected a consent reference before stage ${stage.id} approves an item flagged personal-data, got none (request changes; the editor resubmits with --consent REF)`);
  },

  hasComment: (_ctx, ev) =>
    'comment' in ev && typeof ev.comment === 'string' && ev.comment.trim() !== ''
      ? null
      : refused('hasComment', `expected a comment saying why to ${EVENT_NAMES[ev.type]}, got none`),

  hasPublishRole: (ctx, ev) => {
    const roles = ctx.template?.publishRoles ?? [];
    if (hasAnyRole(ev.roles, roles)) return null;
    return notPermitted('hasPublishRole', `expected a user with role ${roleList(roles)} to publish, got ${ev.actor} with ${roleList(ev.roles)}`);
  },

  /** Restricted material never publishes, whoever approved it. */
  notRestricted: (ctx, _ev) =>
    ctx.classification !== 'restricted' ? null : refused('notRestricted', 'expected a classification that may be published, got restricted, which never publishes'),

  embargoLifted: (ctx, ev) =>
    ctx.embargo === null || ev.at >= ctx.embargo
      ? null
      : refused('embargoLifted', `expected the embargo to have lifted, got ${ev.at}, before the embargo time ${ctx.embargo}`),
} satisfies Record<string, Check>;

export type RuleName = keyof typeof RULES;

/** For each event: the states that accept it and the rules it must pass, in the order refusals are reported. */
export const EVENT_RULES = {
  SUBMIT: { from: ['draft'], rules: ['hasSubmitRole', 'submissionComplete'] },
  APPROVE: { from: ['in_review'], rules: ['hasStageRole', 'notSubmitter', 'notApprovedThisStage', 'consentForStage'] },
  REJECT: { from: ['in_review'], rules: ['hasStageRole', 'notSubmitter', 'hasComment'] },
  REQUEST_CHANGES: { from: ['in_review'], rules: ['hasStageRole', 'notSubmitter', 'hasComment'] },
  RESUBMIT: { from: ['changes_requested'], rules: ['hasSubmitRole', 'submissionComplete'] },
  WITHDRAW: { from: ['in_review', 'changes_requested', 'approved'], rules: ['submitterOrAdmin'] },
  PUBLISH: { from: ['approved'], rules: ['hasPublishRole', 'notRestricted', 'embargoLifted'] },
} as const satisfies Record<WorkflowEventType, { from: readonly WorkflowState[]; rules: readonly RuleName[] }>;

/** The events by which someone reviews an item: whoever made or sent the item may send none of them. */
export const REVIEW_EVENTS = ['APPROVE', 'REJECT', 'REQUEST_CHANGES'] as const satisfies readonly WorkflowEventType[];

/**
 * Four-eyes for the author: whoever signed the item (the photographer, or the watched folder's owner) does not
 * review it either, whoever submitted it. The signer is not in the item's events (it is the record's `record.signed`
 * audit entry), so the workflow service asks this beside the machine.
 */
export function notSigner(signer: string | null, ev: WorkflowEvent): Refusal | null {
  if (signer === null || ev.actor !== signer || !(REVIEW_EVENTS as readonly string[]).includes(ev.type)) return null;
  return notPermitted('notSigner', `expected someone other than the item's signer to ${EVENT_NAMES[ev.type]} it (four-eyes), got ${ev.actor}, who signed it`);
}

/** Why the event would be refused in this state, or null when the machine accepts it. */
export function explainRefusal(state: WorkflowState, ctx: WorkflowContext, ev: WorkflowEvent): Refusal | null {
  const spec = EVENT_RULES[ev.type];
  if (!(spec.from as readonly WorkflowState[]).includes(state)) {
    const at = state === 'in_review' ? ` (stage ${currentStage(ctx)?.id ?? '?'})` : '';
    return refused('state', `expected the item to be ${spec.from.join(' or ')} to ${EVENT_NAMES[ev.type]} it, got ${state}${at}`);
  }
  for (const name of spec.rules) {
    const r = RULES[name](ctx, ev);
    if (r) return r;
  }
  return null;
}
