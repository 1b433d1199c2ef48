// `custody sign`'s IPTC options: one per field, or a JSON file of them (`--metadata caption.json`), the flags
// winning over the file. Checked by core (normaliseMetadata) like every other entry point.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CustodyError } from '../core/errors.ts';
import type { PhotoMetadata } from '../core/media/photo-metadata.ts';
import { out } from './context.ts';

const FLAGS: [keyof PhotoMetadata, string, string][] = [
  ['headline', '--headline <text>', 'IPTC headline'],
  ['caption', '--caption <text>', 'IPTC description (the caption)'],
  ['creator', '--creator <name>', 'IPTC creator (the byline)'],
  ['credit', '--credit <text>', 'IPTC credit line'],
  ['copyright', '--copyright <text>', 'IPTC copyright notice'],
  ['city', '--city <name>', 'IPTC city'],
  ['sublocation', '--sublocation <name>', 'IPTC sublocation'],
  ['state', '--state <name>', 'IPTC province or state'],
  ['country', '--country <name>', 'IPTC country'],
  ['keywords', '--keywords <a,b,…>', 'IPTC keywords, comma-separated'],
];

export function metadataOptions(cmd: Command): Command {
  for (const [, flag, what] of FLAGS) cmd.option(flag, `${what}; replaces the file's own ("" clears it)`);
  return cmd.option('--metadata <file.json>', 'IPTC fields as JSON ({"headline": …, "caption": …, "keywords": [...]}); the flags above win');
}

/** The edits the options ask for; undefined when none is given (the file's own fields are signed as they are). */
export function metadataFromOptions(o: Record<string, unknown>, sourceType: string | undefined): Record<string, unknown> | undefined {
  let edits: Record<string, unknown> = {};
  if (typeof o.metadata === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(o.metadata, 'utf8'));
    } catch (e) {
      throw new CustodyError('INVALID_ARGUMENT', `expected IPTC fields as JSON in ${o.metadata}, got ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CustodyError('INVALID_ARGUMENT', `expected a JSON object of IPTC fields in ${o.metadata}`);
    edits = parsed as Record<string, unknown>;
  }
  for (const [field] of FLAGS) if (typeof o[field] === 'string') edits[field] = o[field];
  if (sourceType !== undefined && edits.digitalSourceType === undefined) edits.digitalSourceType = sourceType;
  return Object.keys(edits).length > 0 ? edits : undefined;
}

const LABELS: Record<keyof PhotoMetadata, string> = {
  headline: 'headline', caption: 'caption', creator: 'creator', credit: 'credit', copyright: 'copyright', city: 'city',
  sublocation: 'sublocation', state: 'state', country: 'country', keywords: 'keywords', digitalSourceType: 'source type',
};

/** The fields, one per line, indented (printable() in out() escapes what a caption could use to forge a line). */
export function printMetadata(fields: PhotoMetadata, heading: string): void {
  const entries = Object.entries(fields) as [keyof PhotoMetadata, string | string[]][];
  if (entries.length === 0) return;
  out(`  ${heading}`);
  for (const [k, v] of entries) out(`    ${LABELS[k].padEnd(12)} ${Array.isArray(v) ? v.join(', ') : k === 'digitalSourceType' ? v.split('/').pop()! : v}`);
}
