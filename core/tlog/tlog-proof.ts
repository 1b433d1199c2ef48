// The C2SP tlog-proof text (c2sp.org/tlog-proof): a header line, an optional `extra` line, `index N`, the inclusion
// hashes in base64 one a line, a blank line, then the signed checkpoint. Go's transparency-dev/merkle reads it.
import { HASH_SIZE } from './merkle.ts';
import { NoteError } from './note.ts';

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

export interface TlogProof {
  index: number;
  hashes: Uint8Array[];
  /** The signed checkpoint note, as signed. */
  checkpoint: string;
  extra: Uint8Array | null;
}

export function formatTlogProof(p: TlogProof): string {
  const lines = [TLOG_PROOF_HEADER];
  if (p.extra) lines.push(`extra ${Buffer.from(p.extra).toString('base64')}`);
  lines.push(`index ${p.index}`, ...p.hashes.map((h) => Buffer.from(h).toString('base64')));
  return `${lines.join('\n')}\n\n${p.checkpoint}`;
}

/** Throws NoteError('malformed') with what is wrong. */
export function parseTlogProof(text: string): TlogProof {
  const bad = (what: string): never => {
    throw new NoteError('malformed', `expected a ${TLOG_PROOF_HEADER} proof, got ${what}`);
  };
  const blank = text.indexOf('\n\n');
  if (blank < 0) bad('no blank line before the checkpoint');
  const head = text.slice(0, blank).split('\n');
  const checkpoint = text.slice(blank + 2);
  if (head[0] !== TLOG_PROOF_HEADER) bad(`the first line ${JSON.stringify((head[0] ?? '').slice(0, 40))}`);
  let at = 1;
  let extra: Uint8Array | null = null;
  if (head[at]?.startsWith('extra ')) extra = new Uint8Array(Buffer.from(head[at++]!.slice(6), 'base64'));
  const m = /^index (0|[1-9][0-9]{0,15})$/.exec(head[at++] ?? '');
  if (!m || !Number.isSafeInteger(Number(m[1]))) bad(`no valid index line (${JSON.stringify((head[at - 1] ?? '').slice(0, 40))})`);
  const hashes = head.slice(at).map((line, i) => {
    const h = Buffer.from(line, 'base64');
    if (h.length !== HASH_SIZE || h.toString('base64') !== line) bad(`inclusion hash ${i} that is not ${HASH_SIZE} bytes of base64`);
    return new Uint8Array(h);
  });
  if (checkpoint === '') bad('no checkpoint after the hashes');
  return { index: Number(m![1]), hashes, checkpoint, extra };
}
