// The approval machine on its own (STYLE.md: test the machine, not the UI): every transition, every guard,
// `can()`, and each refusal with its code and rule. No database, no CLI.
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { Role } from '../core/directory/roles.ts';
import { isCustodyError } from '../core/errors.ts';
import type { WorkflowEvent } from '../core/workflow/events.ts';
import { stageOf, stateOf, whyRefused, workflowMachine, type WorkflowSnapshot } from '../core/workflow/machine.ts';
import { persistSnapshot, replay, restoreActor } from '../core/workflow/replay.ts';
import { EVENT_RULES } from '../core/workflow/rules.ts';
import { parseTemplate, routeFor, type WorkflowTemplate } from '../core/workflow/template.ts';

const NEWS: WorkflowTemplate = parseTemplate({
  name: 'news',
  submitRoles: ['editor'],
  publishRoles: ['editor', 'chief'],
  stages: [
    { id: 'desk', roles: ['editor'], quorum: 1 },
    { id: 'legal', roles: ['legal'], quorum: 1, when: { flags: ['personal-data', 'trademark', 'export-control'], classifications: ['confidential', 'restricted'] }, checks: ['consent'] },
    { id: 'chief', roles: ['chief'], quorum: 1 },
  ],
});

const PEOPLE: Record<string, Role[]> = { ed: ['editor'], eve: ['editor'], cy: ['chief'], lex: ['legal'], vic: ['viewer'], ada: ['admin'] };

let clock = Date.parse('2025-03-01T09:00:00.000Z');
const tick = (): string => new Date((clock += 60_000)).toISOString();

const who = (name: string) => ({ actor: name, roles: PEOPLE[name] ?? [], at: tick() });
const E = {
  submit: (name: string, o: Partial<Extract<WorkflowEvent, { type: 'SUBMIT' }>> = {}): WorkflowEvent => ({
    type: 'SUBMIT', ...who(name), template: NEWS, classification: 'internal', flags: [], embargo: null, consent: null, note: null, ...o,
  }),
  approve: (name: string, comment: string | null = null): WorkflowEvent => ({ type: 'APPROVE', ...who(name), comment }),
  reject: (name: string, comment = 'not ours'): WorkflowEvent => ({ type: 'REJECT', ...who(name), comment }),
  changes: (name: string, comment = 'crop it'): WorkflowEvent => ({ type: 'REQUEST_CHANGES', ...who(name), comment }),
  resubmit: (name: string, changes: Extract<WorkflowEvent, { type: 'RESUBMIT' }>['changes'] = {}): WorkflowEvent => ({ type: 'RESUBMIT', ...who(name), changes, note: null }),
  withdraw: (name: string): WorkflowEvent => ({ type: 'WITHDRAW', ...who(name), comment: null }),
  publish: (name: string, at?: string): WorkflowEvent => ({ type: 'PUBLISH', ...who(name), ...(at ? { at } : {}), publicationId: 'pub_1' }),
};

function run(...events: WorkflowEvent[]): WorkflowSnapshot {
  const actor = createActor(workflowMachine).start();
  for (const ev of events) {
    const s = actor.getSnapshot();
    expect(whyRefused(s, ev), `${ev.type} by ${ev.actor}`).toBeNull();
    actor.send(ev);
  }
  return actor.getSnapshot();
}

const where = (s: WorkflowSnapshot) => [stateOf(s), stageOf(s)];

function refusal(s: WorkflowSnapshot, ev: WorkflowEvent) {
  expect(s.can(ev)).toBe(false);
  return whyRefused(s, ev);
}

describe('transitions', () => {
  it('starts as a draft and only an editor may submit', () => {
    const s = run();
    expect(where(s)).toEqual(['draft', null]);
    expect(s.can(E.submit('ed'))).toBe(true);
    expect(refusal(s, E.submit('cy'))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'hasSubmitRole' });
    expect(refusal(s, E.approve('eve'))).toMatchObject({ code: 'WORKFLOW_TRANSITION_REFUSED', rule: 'state' });
  });

  it('goes desk → chief → approved → published for a plain item', () => {
    let s = run(E.submit('ed'));
    expect(where(s)).toEqual(['in_review', 'desk']);
    expect(s.context.route).toEqual(['desk', 'chief']);
    s = run(E.submit('ed'), E.approve('eve'));
    expect(where(s)).toEqual(['in_review', 'chief']);
    s = run(E.submit('ed'), E.approve('eve'), E.approve('cy', 'front page'));
    expect(where(s)).toEqual(['approved', null]);
    expect(s.context.approvals.map((a) => [a.stage, a.by, a.role])).toEqual([['desk', 'eve', 'editor'], ['chief', 'cy', 'chief']]);
    s = run(E.submit('ed'), E.approve('eve'), E.approve('cy'), E.publish('ed'));
    expect(where(s)).toEqual(['published', null]);
    expect(s.status).toBe('done');
    expect(s.context.publicationId).toBe('pub_1');
    expect(s.context.history.map((h) => [h.event, h.actor, h.stage])).toEqual([
      ['submit', 'ed', 'desk'], ['approve', 'eve', 'desk'], ['approve', 'cy', 'chief'], ['publish', 'ed', null],
    ]);
  });

  it('request-changes → resubmit starts a new round at the first stage', () => {
    const s = run(E.submit('ed'), E.approve('eve'), E.changes('cy'));
    expect(where(s)).toEqual(['changes_requested', null]);
    expect(s.context.history.at(-1)).toMatchObject({ event: 'request-changes', stage: 'chief', comment: 'crop it' });
    const again = run(E.submit('ed'), E.approve('eve'), E.changes('cy'), E.resubmit('ed', { classification: 'confidential' }));
    expect(where(again)).toEqual(['in_review', 'desk']);
    expect(again.context.approvals).toEqual([]);
    expect(again.context.route).toEqual(['desk', 'legal', 'chief']);
  });

  it('rejected and withdrawn are final', () => {
    const rejected = run(E.submit('ed'), E.reject('eve'));
    expect(where(rejected)).toEqual(['rejected', null]);
    const withdrawn = run(E.submit('ed'), E.withdraw('ed'));
    expect(where(withdrawn)).toEqual(['withdrawn', null]);
    for (const s of [rejected, withdrawn]) {
      expect(s.status).toBe('done');
      for (const ev of [E.resubmit('ed'), E.approve('cy'), E.withdraw('ed'), E.publish('ed'), E.submit('ed')]) expect(s.can(ev)).toBe(false);
    }
  });

  it('withdraw is possible in review, after a change request and once approved, by the submitter or an admin', () => {
    expect(where(run(E.submit('ed'), E.changes('eve'), E.withdraw('ed')))).toEqual(['withdrawn', null]);
    expect(where(run(E.submit('ed'), E.approve('eve'), E.approve('cy'), E.withdraw('ed')))).toEqual(['withdrawn', null]);
    expect(where(run(E.submit('ed'), E.withdraw('ada')))).toEqual(['withdrawn', null]);
    expect(refusal(run(), E.withdraw('ed'))).toMatchObject({ rule: 'state' });
    // Another editor, a reviewer: not theirs to take out.
    expect(refusal(run(E.submit('ed')), E.withdraw('eve'))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'submitterOrAdmin' });
    expect(refusal(run(E.submit('ed'), E.changes('eve')), E.withdraw('cy'))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'submitterOrAdmin' });
  });
});

describe('routing: the legal stage', () => {
  it.each([
    ['personal-data flag', { flags: ['personal-data' as const], consent: 'CONSENT-1' }],
    ['trademark flag', { flags: ['trademark' as const] }],
    ['export-control flag', { flags: ['export-control' as const] }],
    ['confidential', { classification: 'confidential' as const }],
    ['restricted', { classification: 'restricted' as const }],
  ])('applies for %s', (_name, o) => {
    expect(run(E.submit('ed', o)).context.route).toEqual(['desk', 'legal', 'chief']);
  });

  it.each([['public'], ['internal']] as const)('does not apply to a %s item without flags, nor for the embargo flag', (c) => {
    expect(routeFor(NEWS, c, [])).toEqual(['desk', 'chief']);
    expect(routeFor(NEWS, c, ['embargo'])).toEqual(['desk', 'chief']);
  });

  it('only legal approves at the legal stage', () => {
    const s = run(E.submit('ed', { flags: ['trademark'] }), E.approve('eve'));
    expect(where(s)).toEqual(['in_review', 'legal']);
    expect(refusal(s, E.approve('cy'))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'hasStageRole' });
    expect(where(run(E.submit('ed', { flags: ['trademark'] }), E.approve('eve'), E.approve('lex')))).toEqual(['in_review', 'chief']);
  });
});

describe('guards', () => {
  it('stage role: a chief cannot approve at the desk stage, a viewer nowhere', () => {
    const s = run(E.submit('ed'));
    const r = refusal(s, E.approve('cy'));
    expect(r).toMatchObject({ code: 'NOT_PERMITTED', rule: 'hasStageRole' });
    expect(r?.message).toMatch(/^expected a user with role editor to approve at stage desk, got cy with chief$/);
    expect(refusal(s, E.approve('vic'))).toMatchObject({ rule: 'hasStageRole' });
    expect(refusal(s, E.reject('vic'))).toMatchObject({ rule: 'hasStageRole' });
  });

  it('four-eyes: the submitter cannot approve, even holding the stage role', () => {
    const s = run(E.submit('ed'));
    const r = refusal(s, E.approve('ed'));
    expect(r).toMatchObject({ code: 'NOT_PERMITTED', rule: 'notSubmitter' });
    expect(r?.message).toMatch(/four-eyes/);
    // Four-eyes holds at every stage: an editor+chief who submitted cannot approve at chief either.
    PEOPLE.boss = ['editor', 'chief'];
    const t = run(E.submit('boss'), E.approve('eve'));
    expect(where(t)).toEqual(['in_review', 'chief']);
    expect(refusal(t, E.approve('boss'))).toMatchObject({ rule: 'notSubmitter' });
  });

  it('quorum: a stage needs that many different approvers', () => {
    const two = parseTemplate({ ...NEWS, name: 'two', stages: [{ id: 'desk', roles: ['editor'], quorum: 2 }, { id: 'chief', roles: ['chief'], quorum: 1 }] });
    PEOPLE.ann = ['editor'];
    const first = run(E.submit('ed', { template: two }), E.approve('eve'));
    expect(where(first)).toEqual(['in_review', 'desk']);
    expect(refusal(first, E.approve('eve'))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'notApprovedThisStage' });
    const second = run(E.submit('ed', { template: two }), E.approve('eve'), E.approve('ann'));
    expect(where(second)).toEqual(['in_review', 'chief']);
    expect(second.context.approvals.filter((a) => a.stage === 'desk').map((a) => a.by)).toEqual(['eve', 'ann']);
  });

  it('compliance: personal data needs a consent reference before legal approves', () => {
    const s = run(E.submit('ed', { flags: ['personal-data'] }), E.approve('eve'));
    expect(where(s)).toEqual(['in_review', 'legal']);
    const r = refusal(s, E.approve('lex'));
    expect(r).toMatchObject({ code: 'WORKFLOW_TRANSITION_REFUSED', rule: 'consentForStage' });
    expect(r?.message).toMatch(/consent reference/);
    // Legal may still send it back; the resubmission brings the consent and legal can approve.
    const fixed = run(E.submit('ed', { flags: ['personal-data'] }), E.approve('eve'), E.changes('lex', 'need consent'), E.resubmit('ed', { consent: 'MODEL-REL-7' }), E.approve('eve'), E.approve('lex'));
    expect(where(fixed)).toEqual(['in_review', 'chief']);
    expect(fixed.context.consent).toBe('MODEL-REL-7');
  });

  it('compliance: restricted never publishes, whoever approved it', () => {
    const s = run(E.submit('ed', { classification: 'restricted' }), E.approve('eve'), E.approve('lex'), E.approve('cy'));
    expect(where(s)).toEqual(['approved', null]);
    const r = refusal(s, E.publish('cy'));
    expect(r).toMatchObject({ code: 'WORKFLOW_TRANSITION_REFUSED', rule: 'notRestricted' });
    expect(r?.message).toBe('expected a classification that may be published, got restricted, which never publishes');
  });

  it('compliance: an embargoed item does not publish before its embargo time', () => {
    const embargo = '2025-03-02T00:00:00.000Z';
    const s = run(E.submit('ed', { flags: ['embargo'], embargo }), E.approve('eve'), E.approve('cy'));
    const early = refusal(s, E.publish('ed', '2025-03-01T23:59:59.999Z'));
    expect(early).toMatchObject({ code: 'WORKFLOW_TRANSITION_REFUSED', rule: 'embargoLifted' });
    expect(early?.message).toMatch(/before the embargo time 2025-03-02T00:00:00.000Z/);
    expect(s.can(E.publish('ed', embargo))).toBe(true);
    expect(s.can(E.publish('ed', '2025-03-02T00:00:00.001Z'))).toBe(true);
  });

  it('publish needs a publish role', () => {
    const s = run(E.submit('ed'), E.approve('eve'), E.approve('cy'));
    expect(refusal(s, E.publish('lex'))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'hasPublishRole' });
    expect(s.can(E.publish('cy'))).toBe(true);
  });

  it('reject and request-changes need a comment', () => {
    const s = run(E.submit('ed'));
    expect(refusal(s, E.reject('eve', '  '))).toMatchObject({ code: 'WORKFLOW_TRANSITION_REFUSED', rule: 'hasComment' });
    expect(refusal(s, E.changes('eve', ''))).toMatchObject({ rule: 'hasComment' });
  });

  it('an embargo flag needs a time, and a time needs the flag', () => {
    expect(refusal(run(), E.submit('ed', { flags: ['embargo'] }))).toMatchObject({ code: 'WORKFLOW_TRANSITION_REFUSED', rule: 'submissionComplete' });
    expect(refusal(run(), E.submit('ed', { embargo: '2025-04-01T00:00:00.000Z' }))).toMatchObject({ rule: 'submissionComplete' });
  });

  it('resubmit is for editors, and only after a change request', () => {
    const s = run(E.submit('ed'), E.changes('eve'));
    expect(refusal(s, E.resubmit('cy'))).toMatchObject({ code: 'NOT_PERMITTED', rule: 'hasSubmitRole' });
    expect(refusal(run(E.submit('ed')), E.resubmit('ed'))).toMatchObject({ code: 'WORKFLOW_TRANSITION_REFUSED', rule: 'state' });
  });
});

describe('can() and the refusals agree', () => {
  it('for every event by every person in every state reached along the way', () => {
    const paths: WorkflowEvent[][] = [
      [],
      [E.submit('ed')],
      [E.submit('ed', { flags: ['personal-data'] }), E.approve('eve')],
      [E.submit('ed', { classification: 'restricted' }), E.approve('eve'), E.approve('lex'), E.approve('cy')],
      [E.submit('ed', { flags: ['embargo'], embargo: '2999-01-01T00:00:00.000Z' }), E.approve('eve'), E.approve('cy')],
      [E.submit('ed'), E.changes('eve')],
      [E.submit('ed'), E.reject('eve')],
      [E.submit('ed'), E.approve('eve'), E.approve('cy'), E.publish('ed')],
    ];
    let checked = 0;
    for (const path of paths) {
      const s = run(...path);
      for (const name of Object.keys(PEOPLE)) {
        for (const make of [E.submit, E.approve, E.reject, E.changes, E.resubmit, E.withdraw, E.publish] as ((n: string) => WorkflowEvent)[]) {
          const ev = make(name);
          expect(s.can(ev), `${stateOf(s)} ${ev.type} by ${name}`).toBe(whyRefused(s, ev) === null);
          checked++;
        }
      }
    }
    expect(checked).toBe(paths.length * Object.keys(PEOPLE).length * 7);
  });

  it('lists the same states for each event as the machine', () => {
    for (const [type, spec] of Object.entries(EVENT_RULES)) {
      for (const state of Object.keys(workflowMachine.config.states ?? {})) {
        const node = workflowMachine.states[state]!;
        expect((node.events as string[]).includes(type), `${type} in ${state}`).toBe((spec.from as readonly string[]).includes(state));
      }
    }
  });
});

describe('replay', () => {
  it('rebuilds the same state as the live machine, and a restored snapshot answers can() the same', () => {
    const events = [E.submit('ed', { flags: ['personal-data'], consent: 'C-1' }), E.approve('eve'), E.approve('lex', 'cleared'), E.changes('cy')];
    const live = run(...events);
    const replayed = replay(events);
    expect(persistSnapshot(replayed)).toBe(persistSnapshot(live));
    const restored = restoreActor(persistSnapshot(live));
    expect(where(restored.getSnapshot())).toEqual(['changes_requested', null]);
    for (const ev of [E.resubmit('ed'), E.resubmit('cy'), E.withdraw('eve'), E.approve('eve')]) {
      expect(restored.getSnapshot().can(ev)).toBe(live.can(ev));
    }
  });

  it('refuses an event log that the machine would not have accepted', () => {
    const events = [E.submit('ed'), E.approve('ed')];
    try {
      replay(events, 'rec_x');
      expect.unreachable();
    } catch (e) {
      expect(isCustodyError(e, 'INTEGRITY_FAILED')).toBe(true);
      expect((e as Error).message).toMatch(/^expected event 2 of rec_x \(approve by ed\) to be accepted on replay, got a refusal: .*four-eyes/);
    }
  });
});
