// The IPTC fields a newsroom captions with (core/media/photo-metadata.ts): MetadataFields edits them before a photo
// is signed, prefilled from the file; MetadataView shows them on an item and in a verify result, saying whether they
// come signed. React escapes every value: a caption is shown as text, never as markup.
import type { DeskResult } from '../../../core/api/desk-api.ts';

export type Fields = DeskResult<'fileMetadata'>['fields'];
type TextKey = Exclude<keyof Fields, 'keywords' | 'digitalSourceType'>;

const LINES: [TextKey, string][] = [
  ['headline', 'Headline'], ['creator', 'Creator (byline)'], ['credit', 'Credit line'], ['copyright', 'Copyright notice'],
  ['sublocation', 'Sublocation'], ['city', 'City'], ['state', 'Province or state'], ['country', 'Country'],
];

const SOURCE_BASE = 'http://cv.iptc.org/newscodes/digitalsourcetype/';
/** IPTC NewsCodes digital source types a desk meets most (the full vocabulary has a few more). */
const SOURCE_TYPES: [string, string][] = [
  ['digitalCapture', 'Digital capture (a camera)'], ['negativeFilm', 'Scanned negative film'], ['positiveFilm', 'Scanned positive film'],
  ['print', 'Scanned print'], ['minorHumanEdits', 'Minor human edits'], ['humanEdits', 'Human edits'], ['compositeCapture', 'Composite of captures'],
  ['algorithmicallyEnhanced', 'Algorithmically enhanced'], ['screenCapture', 'Screen capture'], ['digitalArt', 'Digital art'],
  ['compositeWithTrainedAlgorithmicMedia', 'Composite with generative AI'], ['trainedAlgorithmicMedia', 'Generative AI'],
];
const sourceLabel = (uri: string): string => {
  const term = uri.startsWith(SOURCE_BASE) ? uri.slice(SOURCE_BASE.length) : uri;
  return SOURCE_TYPES.find(([t]) => t === term)?.[1] ?? term;
};

/** The edits to send: each field that differs from what the file had ('' clears one); null when nothing changed. */
export function changedFields(before: Fields, after: Fields): Record<string, string | string[]> | null {
  const out: Record<string, string | string[]> = {};
  for (const k of [...LINES.map(([k]) => k), 'caption', 'digitalSourceType'] as (keyof Fields)[]) {
    const a = (after[k] as string | undefined)?.trim() ?? '';
    if (a !== ((before[k] as string | undefined) ?? '')) out[k] = a;
  }
  const kw = (f: Fields) => (f.keywords ?? []).join(', ');
  if (kw(after) !== kw(before)) out.keywords = after.keywords ?? [];
  return Object.keys(out).length > 0 ? out : null;
}

export function MetadataFields({ value, onChange, disabled }: { value: Fields; onChange: (f: Fields) => void; disabled?: boolean }) {
  const set = (k: keyof Fields, v: string) => onChange({ ...value, [k]: v });
  return (
    <fieldset className="metadata-fields" disabled={disabled} data-testid="metadata-fields">
      <legend>IPTC metadata, signed with the photo</legend>
      <label className="wide">
        Caption
        <textarea rows={3} maxLength={4000} value={value.caption ?? ''} onChange={(e) => set('caption', e.target.value)} />
      </label>
      {LINES.map(([k, label]) => (
        <label key={k}>
          {label}
          <input value={value[k] ?? ''} maxLength={k === 'copyright' ? 512 : 256} onChange={(e) => set(k, e.target.value)} />
        </label>
      ))}
      <label className="wide">
        Keywords <small className="muted">comma-separated</small>
        <input
          value={(value.keywords ?? []).join(', ')}
          onChange={(e) => onChange({ ...value, keywords: e.target.value.split(',').map((s) => s.trimStart()) })}
          onBlur={() => onChange({ ...value, keywords: (value.keywords ?? []).map((s) => s.trim()).filter(Boolean) })}
        />
      </label>
      <label className="half">
        Digital source type
        <select value={value.digitalSourceType ?? ''} onChange={(e) => set('digitalSourceType', e.target.value)}>
          <option value="">Not stated</option>
          {SOURCE_TYPES.map(([t, label]) => <option key={t} value={`${SOURCE_BASE}${t}`}>{label}</option>)}
          {value.digitalSourceType && !SOURCE_TYPES.some(([t]) => `${SOURCE_BASE}${t}` === value.digitalSourceType) && (
            <option value={value.digitalSourceType}>{sourceLabel(value.digitalSourceType)}</option>
          )}
        </select>
      </label>
    </fieldset>
  );
}

const SOURCE_WORDS = {
  credentials: 'Signed in the Content Credentials of this file.',
  record: 'As signed with the record; this copy no longer carries them signed.',
  file: 'Written in the file only: nobody signed these.',
} as const;

export function MetadataView({ fields, source }: { fields: Fields; source?: keyof typeof SOURCE_WORDS }) {
  const rows: [string, string][] = [];
  if (fields.headline) rows.push(['Headline', fields.headline]);
  if (fields.caption) rows.push(['Caption', fields.caption]);
  for (const [k, label] of LINES) if (k !== 'headline' && fields[k]) rows.push([label, fields[k]!]);
  if (fields.keywords?.length) rows.push(['Keywords', fields.keywords.join(', ')]);
  if (fields.digitalSourceType) rows.push(['Source', sourceLabel(fields.digitalSourceType)]);
  if (rows.length === 0) return null;
  return (
    <section aria-label="Metadata" className="metadata-view" data-testid="metadata-view">
      <h3>Metadata</h3>
      {source && <p className={`muted metadata-source ${source}`}>{SOURCE_WORDS[source]}</p>}
      <dl className="facts">
        {rows.map(([k, v]) => (
          <div key={k} className="fact-row">
            <dt>{k}</dt>
            <dd className={k === 'Caption' ? 'caption' : undefined}>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
