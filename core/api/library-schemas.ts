// Shapes for the picture desk's Library over the DeskApi: full-size pictures for the loupe, bulk actions with one result per item, and each user's saved views.
import { z } from 'zod';
import { classificationSchema, flagSchema, recordId } from './workflow-schemas.ts';

export const pictureArgs = z.object({
  id: recordId,
  /**
   * signed: the signed copy; original: the file it was signed from, while still there unchanged; published: the
   * published version (for every user, as its download is).
   */
  which: z.enum(['signed', 'original', 'published']),
});

/** A picture at its full pixel size (up to PICTURE_MAX_SIDE), for the loupe; null when there is none to show. */
export const pictureSchema = z.object({ dataUrl: z.string().startsWith('data:image/'), width: z.number().int(), height: z.number().int(), scaled: z.boolean() }).nullable();

export const BULK_ACTIONS = ['submit', 'approve', 'reject', 'requestChanges', 'withdraw', 'publish'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** The desktop app's "save the selection as a ZIP" (electron/main/zip.ts); web mode's ticket takes the same. */
export const zipArgs = z.object({
  ids: z.array(recordId).min(1, 'expected at least one item').max(500, 'expected at most 500 items at once'),
  /** The published versions rather than the signed copies. */
  published: z.boolean().optional(),
}).strict();

export const bulkArgs = z.object({
  action: z.enum(BULK_ACTIONS),
  ids: z.array(recordId).min(1, 'expected at least one item').max(500, 'expected at most 500 items at once'),
  comment: z.string().max(4000).nullable().optional(),
  /** submit only: the template and classification every item goes in with. */
  template: z.string().min(1).optional(),
  classification: classificationSchema.optional(),
  flags: z.array(flagSchema).optional(),
});

/** One result per item, in the order asked: what it became, or why it was refused (the rest went on). */
export const bulkResultSchema = z.object({
  results: z.array(
    z.discriminatedUnion('ok', [
      z.object({ id: z.string(), ok: z.literal(true), state: z.string(), stage: z.string().nullable() }),
      z.object({ id: z.string(), ok: z.literal(false), code: z.string(), message: z.string() }),
    ]),
  ),
});

const SORTS = ['date-desc', 'date-asc', 'name', 'state'] as const;
export const librarySortSchema = z.enum(SORTS);

/** A saved Library view: a name and the filter it applies. */
export const savedViewSchema = z.object({
  name: z.string().trim().min(1, 'expected a name for the view').max(60, 'expected a view name of at most 60 characters'),
  search: z.string().max(200).optional(),
  state: z.string().max(40).optional(),
  from: z.string().max(10).optional(),
  to: z.string().max(10).optional(),
  /** Only items whose next workflow step this user may take (the queue's "mine"). */
  waitingForMe: z.boolean().optional(),
  anchor: z.enum(['local', 'pending', 'logged', 'anchored', 'refused']).optional(),
});

export const viewPrefsSchema = z.object({
  sort: librarySortSchema,
  views: z.array(savedViewSchema).max(30, 'expected at most 30 saved views'),
});
