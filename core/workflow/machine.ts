// The approval machine (XState v5): draft → in_review (stage by stage, each to its quorum) → approved → published,
// with changes_requested → resubmit, and rejected / withdrawn. Guards are the named rules of rules.ts; the
// stage structure comes from the template carried by the SUBMIT event, so one machine serves every template.
import { and, assertEvent, assign, setup, type SnapshotFrom } from 'xstate';
import { approvalsAtStage, currentStage, INITIAL_CONTEXT, routeAfter, type Approval, type HistoryEntry, type WorkflowContext, type WorkflowState } from './context.ts';
import { EVENT_NAMES, type WorkflowEvent } from './events.ts';
import { EVENT_RULES, RULES, explainRefusal, type Refusal } from './rules.ts';

const ok = (name: keyof typeof RULES) => ({ context, event }: { context: WorkflowContext; event: WorkflowEvent }) => RULES[name](context, event) === null;

function historyEntry(ev: WorkflowEvent, stage: string | null): HistoryEntry {
  return { at: ev.at, actor: ev.actor, event: EVENT_NAMES[ev.type], stage, comment: 'comment' in ev ? (ev.comment ?? null) : 'note' in ev ? ev.note : null };
}

export const workflowMachine = setup({
  types: {
    context: {} as WorkflowContext,
    events: {} as WorkflowEvent,
  },
  guards: {
    hasSubmitRole: ok('hasSubmitRole'),
    submissionComplete: ok('submissionComplete'),
    hasStageRole: ok('hasStageRole'),
    notSubmitter: ok('notSubmitter'),
    submitterOrAdmin: ok('submitterOrAdmin'),
    notApprovedThisStage: ok('notApprovedThisStage'),
    consentForStage: ok('consentForStage'),
    hasComment: ok('hasComment'),
    hasPublishRole: ok('hasPublishRole'),
    notRestricted: ok('notRestricted'),
    embargoLifted: ok('embargoLifted'),
    /** This approval brings the current stage to its quorum. */
    completesStage: ({ context }) => {
      const stage = currentStage(context);
      return stage !== null && approvalsAtStage(context, stage.id).length + 1 >= stage.quorum;
    },
    isLastStage: ({ context }) => context.stageIndex >= context.route.length - 1,
  },
  actions: {
    submit: assign(({ event }) => {
      assertEvent(event, 'SUBMIT');
      const route = routeAfter(INITIAL_CONTEXT, event);
      return {
        template: event.template,
        submittedBy: event.actor,
        classification: event.classification,
        flags: event.flags,
        embargo: event.embargo,
        consent: event.consent,
        route,
        stageIndex: 0,
        approvals: [],
        history: [historyEntry(event, route[0] ?? null)],
      };
    }),
    resubmit: assign(({ context, event }) => {
      assertEvent(event, 'RESUBMIT');
      const route = routeAfter(context, event);
      return {
        ...event.changes,
        route,
        stageIndex: 0,
        approvals: [],
        history: [...context.history, historyEntry(event, route[0] ?? null)],
      };
    }),
    recordApproval: assign(({ context, event }) => {
      assertEvent(event, 'APPROVE');
      const stage = currentStage(context);
      if (!stage) return {};
      const approval: Approval = {
        stage: stage.id,
        role: event.roles.find((r) => stage.roles.includes(r)) ?? stage.roles[0]!,
        by: event.actor,
        at: event.at,
        comment: event.comment,
      };
      return { approvals: [...context.approvals, approval], history: [...context.history, historyEntry(event, stage.id)] };
    }),
    advanceStage: assign(({ context }) => ({ stageIndex: context.stageIndex + 1 })),
    recordAtStage: assign(({ context, event }) => ({ history: [...context.history, historyEntry(event, currentStage(context)?.id ?? null)] })),
    recordOutsideReview: assign(({ context, event }) => ({ history: [...context.history, historyEntry(event, null)] })),
    recordPublication: assign(({ context, event }) => {
      assertEvent(event, 'PUBLISH');
      return { publicationId: event.publicationId, history: [...context.history, historyEntry(event, null)] };
    }),
  },
}).createMachine({
  id: 'custody-approval',
  initial: 'draft',
  context: INITIAL_CONTEXT,
  states: {
    draft: {
      on: { SUBMIT: { guard: and([...EVENT_RULES.SUBMIT.rules]), target: 'in_review', actions: 'submit' } },
    },
    in_review: {
      on: {
        APPROVE: [
          { guard: and([...EVENT_RULES.APPROVE.rules, 'completesStage', 'isLastStage']), target: 'approved', actions: 'recordApproval' },
          { guard: and([...EVENT_RULES.APPROVE.rules, 'completesStage']), actions: ['recordApproval', 'advanceStage'] },
          { guard: and([...EVENT_RULES.APPROVE.rules]), actions: 'recordApproval' },
        ],
        REJECT: { guard: and([...EVENT_RULES.REJECT.rules]), target: 'rejected', actions: 'recordAtStage' },
        REQUEST_CHANGES: { guard: and([...EVENT_RULES.REQUEST_CHANGES.rules]), target: 'changes_requested', actions: 'recordAtStage' },
        WITHDRAW: { guard: and([...EVENT_RULES.WITHDRAW.rules]), target: 'withdrawn', actions: 'recordAtStage' },
      },
    },
    changes_requested: {
      on: {
        RESUBMIT: { guard: and([...EVENT_RULES.RESUBMIT.rules]), target: 'in_review', actions: 'resubmit' },
        WITHDRAW: { guard: and([...EVENT_RULES.WITHDRAW.rules]), target: 'withdrawn', actions: 'recordOutsideReview' },
      },
    },
    approved: {
      on: {
        PUBLISH: { guard: and([...EVENT_RULES.PUBLISH.rules]), target: 'published', actions: 'recordPublication' },
        WITHDRAW: { guard: and([...EVENT_RULES.WITHDRAW.rules]), target: 'withdrawn', actions: 'recordOutsideReview' },
      },
    },
    published: { type: 'final' },
    rejected: { type: 'final' },
    withdrawn: { type: 'final' },
  },
});

export type WorkflowSnapshot = SnapshotFrom<typeof workflowMachine>;

export function stateOf(s: WorkflowSnapshot): WorkflowState {
  return s.value as WorkflowState;
}

/** The review stage an item waits at; null outside in_review. */
export function stageOf(s: WorkflowSnapshot): string | null {
  return s.matches('in_review') ? (currentStage(s.context)?.id ?? null) : null;
}

/** Why the machine would refuse this event now, or null when it accepts it (then `s.can(event)` is true). */
export function whyRefused(s: WorkflowSnapshot, event: WorkflowEvent): Refusal | null {
  return explainRefusal(stateOf(s), s.context, event);
}
