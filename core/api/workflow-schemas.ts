// Workflow shapes over the DeskApi: an item's status (core/workflow/service.ts ItemStatus), the queue, comments.
import { z } from 'zod';
import { ROLES } from '../directory/roles.ts';
import { EVENT_NAMES } from '../workflow/events.ts';
import type { ItemStatus } from '../workflow/service.ts';
import { CLASSIFICATIONS, FLAGS } from '../workflow/template.ts';
import { anchorStateSchema } from './hub-schemas.ts';
import { libraryItemSchema, recordSchema, workflowStateSchema } from './schemas.ts';

export const eventNameSchema = z.enum(Object.values(EVENT_NAMES) as [(typeof EVENT_NAMES)[keyof typeof EVENT_NAMES], ...(typeof EVENT_NAMES)[keyof typeof EVENT_NAMES][]]);
export const classificationSchema = z.enum(CLASSIFICATIONS);
export const flagSchema = z.enum(FLAGS);
export const roleSchema = z.enum(ROLES);

export const itemStatusSchema = z.object({
  item: z.string(),
  state: workflowStateSchema,
  stage: z.string().nullable(),
  template: z.string().nullable(),
  classification: classificationSchema.nullable(),
  flags: z.array(flagSchema),
  embargo: z.string().nullable(),
  consent: z.string().nullable(),
  submittedBy: z.string().nullable(),
  route: z.array(z.string()),
  approvals: z.array(z.object({ stage: z.string(), role: roleSchema, by: z.string(), at: z.string(), comment: z.string().nullable() })),
  history: z.array(z.object({ at: z.string(), actor: z.string(), event: eventNameSchema, stage: z.string().nullable(), comment: z.string().nullable() })),
  publication: z.object({ id: z.string(), output: z.string(), sha256: z.string(), publishedAt: z.string() }).nullable(),
  /** Exactly the events the calling user may send now (the machine's can()). */
  can: z.array(eventNameSchema),
});

// Fails to compile when core's ItemStatus changes shape under this schema.
const _statusFits = (s: ItemStatus): z.input<typeof itemStatusSchema> => s;
void _statusFits;

export const commentSchema = z.object({ seq: z.number().int(), at: z.string(), by: z.string(), text: z.string() });

/** Who signed an item, when, on which desk: the record's `record.signed` audit entry (null: none, an old record). */
export const signedBySchema = z.object({ by: z.string(), at: z.string(), desk: z.string() }).nullable();

/** Item detail: the record, its workflow status for the caller, the discussion around it, who signed it, the hub. */
export const itemDetailSchema = z.object({
  record: recordSchema,
  workflow: itemStatusSchema,
  comments: z.array(commentSchema),
  anchor: anchorStateSchema,
  signedBy: signedBySchema,
});

export const queueEntrySchema = z.object({
  item: libraryItemSchema,
  status: itemStatusSchema,
});

const recordId = z.string().regex(/^rec_[0-9a-z]{26}$/, 'expected a record id like rec_…');
const text = (what: string) => z.string().max(4000, `expected ${what} of at most 4000 characters`);
const requiredText = (what: string) => text(what).refine((s) => s.trim() !== '', `expected ${what}, got an empty one`);

export const itemRef = z.object({ id: recordId });

export const submitArgs = z.object({
  id: recordId,
  template: z.string().min(1).optional(),
  classification: classificationSchema.optional(),
  flags: z.array(flagSchema).optional(),
  embargo: z.string().nullable().optional(),
  consent: z.string().max(200).nullable().optional(),
  note: text('a note').nullable().optional(),
});

export const resubmitArgs = submitArgs.omit({ template: true });
export const optionalCommentArgs = z.object({ id: recordId, comment: text('a comment').nullable().optional() });
export const requiredCommentArgs = z.object({ id: recordId, comment: requiredText('a comment saying why') });
export const commentArgs = z.object({ id: recordId, text: requiredText('a comment') });
export { recordId };
