// A log checkpoint in the C2SP tlog-checkpoint format (c2sp.org/tlog-checkpoint): the note text is the origin line,
// the tree size in decimal, the root hash in base64, then optional extension lines; signed as a C2SP signed note.
import { HASH_SIZE } from './merkle.ts';
import { NoteError, openNote, signNote, type NoteKey } from './note.ts';

export interface Checkpoint {
  /** The log's unique name: `<hub key name>/<tenant id>` for the hub's logs. */
  origin: string;
  size: number;
  root: Uint8Array;
  /** Extension lines (none written today; kept when read). */
  extensions: string[];
}

export function checkpointText(c: Checkpoint): string {
  if (c.origin.length === 0 || /[\n\r]/.test(c.origin)) throw new NoteError('malformed', `expected a one-line origin, got ${JSON.stringify(c.origin)}`);
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new NoteError('malformed', `expected a tree size, got ${c.size}`);
  if (c.root.length !== HASH_SIZE) throw new NoteError('malformed', `expected a ${HASH_SIZE}-byte root, got ${c.root.length} bytes`);
  return [c.origin, String(c.size), Buffer.from(c.root).toString('base64'), ...c.extensions].join('\n') + '\n';
}

export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.length < 4 || lines.at(-1) !== '') throw new NoteError('malformed', 'expected a checkpoint of at least three lines (origin, size, root) ending with a newline');
  const [origin, size, root, ...rest] = lines.slice(0, -1) as [string, string, string, ...string[]];
  if (origin === '') throw new NoteError('malformed', 'expected the checkpoint to start with its origin, got an empty line');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) throw new NoteError('malformed', `expected the tree size in decimal without leading zeros, got ${JSON.stringify(size.slice(0, 30))}`);
  const r = Buffer.from(root, 'base64');
  if (r.length !== HASH_SIZE || r.toString('base64') !== root) throw new NoteError('malformed', `expected the root hash as ${HASH_SIZE} bytes of base64, got ${JSON.stringify(root.slice(0, 60))}`);
  if (rest.some((l) => l === '')) throw new NoteError('malformed', 'expected no empty extension lines in the checkpoint');
  return { origin, size: Number(size), root: new Uint8Array(r), extensions: rest };
}

export function signCheckpoint(c: Checkpoint, keyName: string, secretKey: Uint8Array): string {
  return signNote(checkpointText(c), keyName, secretKey);
}

/** The checkpoint in a signed note, once `key`'s signature on it verifies (NoteError otherwise). */
export function openCheckpoint(note: string, key: NoteKey): Checkpoint {
  return parseCheckpointText(openNote(note, key));
}
