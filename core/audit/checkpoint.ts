// The audit head checkpoint: a small file beside the database (not in it) naming the newest entry. A hash chain
// alone cannot show that its newest entries were cut off; a head recorded elsewhere can. The `signed` part is
// signed by a desk key, so rolling it back or forging it needs the vault; the `head` part is refreshed by every
// append, locked or not, and catches truncation by anyone who edits only the database.
// Written atomically: a temporary file, flushed, then renamed over the old one.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomicSync } from '../store/atomic-file.ts';

export const AUDIT_HEAD_FILE = 'audit-head.json';

const hash = z.string().regex(/^[0-9a-f]{64}$/);

export const CheckpointSchema = z.strictObject({
  version: z.literal(1),
  head: z.strictObject({ seq: z.int().min(1), hash, at: z.string() }),
  signed: z
    .strictObject({
      seq: z.int().min(1),
      hash,
      keyId: z.string().min(1),
      signature: z.string().regex(/^[0-9a-f]{128}$/),
    })
    .nullable(),
});

export type Checkpoint = z.infer<typeof CheckpointSchema>;

export type CheckpointRead =
  | { status: 'absent' }
  | { status: 'invalid'; problem: string }
  | { status: 'ok'; checkpoint: Checkpoint };

export function readCheckpoint(path: string): CheckpointRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'absent' };
    return { status: 'invalid', problem: `it cannot be read: ${(e as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { status: 'invalid', problem: 'it is not JSON' };
  }
  const r = CheckpointSchema.safeParse(parsed);
  if (!r.success) return { status: 'invalid', problem: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  return { status: 'ok', checkpoint: r.data };
}

export function writeCheckpoint(path: string, c: Checkpoint): void {
  writeFileAtomicSync(path, `${JSON.stringify(c, null, 2)}\n`);
}
