// What can happen to an item, as data. Each event carries everything its guards need (who, with which roles, when,
// and for SUBMIT the whole template in force), so that replaying the stored events gives the same answer years
// later, whatever has happened to the directory or the templates since.
import { z } from 'zod';
import { ROLES } from '../directory/roles.ts';
import { CustodyError } from '../errors.ts';
import { CLASSIFICATIONS, FLAGS, TemplateSchema, type Classification, type Flag } from './template.ts';

const isoInstant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'expected an ISO-8601 UTC instant');
const base = { actor: z.string().min(1), roles: z.array(z.enum(ROLES)), at: isoInstant };
const comment = z.string().max(4000);

const metadata = {
  classification: z.enum(CLASSIFICATIONS),
  flags: z.array(z.enum(FLAGS)),
  embargo: isoInstant.nullable(),
  consent: z.string().max(200).nullable(),
};

export const WorkflowEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('SUBMIT'), ...base, template: TemplateSchema, ...metadata, note: comment.nullable() }),
  z.strictObject({ type: z.literal('APPROVE'), ...base, comment: comment.nullable() }),
  z.strictObject({ type: z.literal('REJECT'), ...base, comment }),
  z.strictObject({ type: z.literal('REQUEST_CHANGES'), ...base, comment }),
  z.strictObject({ type: z.literal('RESUBMIT'), ...base, changes: z.strictObject(metadata).partial(), note: comment.nullable() }),
  z.strictObject({ type: z.literal('WITHDRAW'), ...base, comment: comment.nullable() }),
  z.strictObject({ type: z.literal('PUBLISH'), ...base, publicationId: z.string().min(1) }),
]);

export type WorkflowEvent = z.infer<typeof WorkflowEventSchema>;
export type WorkflowEventType = WorkflowEvent['type'];
export type EventOf<T extends WorkflowEventType> = Extract<WorkflowEvent, { type: T }>;
export type SubmitMetadata = Pick<EventOf<'SUBMIT'>, 'classification' | 'flags' | 'embargo' | 'consent'>;

/** The names users see (CLI commands, `can`, history). */
export const EVENT_NAMES = {
  SUBMIT: 'submit',
  APPROVE: 'approve',
  REJECT: 'reject',
  REQUEST_CHANGES: 'request-changes',
  RESUBMIT: 'resubmit',
  WITHDRAW: 'withdraw',
  PUBLISH: 'publish',
} as const satisfies Record<WorkflowEventType, string>;
export type EventName = (typeof EVENT_NAMES)[WorkflowEventType];

// Bad values from a user: INVALID_ARGUMENT with what was expected. The machine's guards decide the rest.

export function parseClassification(s: string): Classification {
  if (!(CLASSIFICATIONS as readonly string[]).includes(s)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected a classification of ${CLASSIFICATIONS.join(', ')}, got "${s}"`);
  }
  return s as Classification;
}

export function parseFlags(list: readonly string[]): Flag[] {
  const out = new Set<Flag>();
  for (const f of list.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '')) {
    if (!(FLAGS as readonly string[]).includes(f)) throw new CustodyError('INVALID_ARGUMENT', `expected flags from ${FLAGS.join(', ')}, got "${f}"`);
    out.add(f as Flag);
  }
  return [...out].sort((a, b) => FLAGS.indexOf(a) - FLAGS.indexOf(b));
}

export function parseInstant(s: string, what: string): string {
  const t = Date.parse(s);
  // Date.parse accepts much; ask for a date with a time zone so that "09:00" means the same on every desk.
  if (!Number.isFinite(t) || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(s)) {
    throw new CustodyError('INVALID_ARGUMENT', `expected ${what} as an ISO-8601 time with a zone, like 2025-06-01T09:00:00Z, got "${s}"`);
  }
  return new Date(t).toISOString();
}

export function parseText(s: string | undefined | null, what: string, max: number): string | null {
  if (s === undefined || s === null) return null;
  const t = s.trim();
  if (t === '') return null;
  if (t.length > max) throw new CustodyError('INVALID_ARGUMENT', `expected ${what} of at most ${max} characters, got ${t.length}`);
  return t;
}
