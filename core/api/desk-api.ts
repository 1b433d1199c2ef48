// The DeskApi: every method the screens need, declared once with its argument and result schemas. The Electron
// IPC handlers, web mode's HTTP routes and the renderer's typed client all derive from this map.
import { z } from 'zod';
import { receiptSchema, recordSchema, signingKeySchema, verifyReportSchema } from './schemas.ts';

const path = z.string().min(1, 'expected a file path, got an empty string');

export const deskApi = {
  info: {
    args: z.object({}),
    result: z.object({ home: z.string(), org: z.string(), unlocked: z.boolean(), version: z.string() }),
  },
  unlock: {
    args: z.object({ passphrase: z.string().min(1, 'expected the passphrase, got an empty one') }),
    result: z.object({ unlocked: z.boolean() }),
  },
  sign: {
    args: z.object({ paths: z.array(path).min(1, 'expected at least one file to sign'), outDir: path.optional() }),
    result: z.object({
      receipts: z.array(receiptSchema),
      failures: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })),
    }),
  },
  verify: {
    args: z.object({ path }),
    result: verifyReportSchema,
  },
  items: {
    args: z.object({ limit: z.number().int().min(1).max(10_000).optional(), search: z.string().optional() }),
    result: z.array(recordSchema),
  },
  item: {
    args: z.object({ id: z.string().regex(/^rec_[0-9a-z]{26}$/, 'expected a record id like rec_…') }),
    result: recordSchema,
  },
  keys: {
    args: z.object({}),
    result: z.array(signingKeySchema),
  },
} as const;

export type DeskMethod = keyof typeof deskApi;
export const DESK_METHODS = Object.keys(deskApi) as DeskMethod[];

export type DeskArgs<M extends DeskMethod> = z.input<(typeof deskApi)[M]['args']>;
export type DeskResult<M extends DeskMethod> = z.output<(typeof deskApi)[M]['result']>;

/** The typed client the renderer calls (through IPC in Electron, HTTP in web mode). */
export type DeskApi = { [M in DeskMethod]: (args: DeskArgs<M>) => Promise<DeskResult<M>> };
