// A verified video's timeline: one band per 5-second segment, coloured by how the copy compares with the signed
// video, with a legend in words (colour is never the only signal: each band has a label and a pattern).
import type { DeskResult } from '../../../core/api/desk-api.ts';

type Segment = NonNullable<DeskResult<'verify'>['segments']>[number];
type Range = NonNullable<DeskResult<'verify'>['changedRanges']>[number];

const STATUS_TEXT: Record<Segment['status'], { label: string; meaning: string }> = {
  match: { label: 'Unchanged', meaning: 'every sampled frame matches the signed video' },
  similar: { label: 'Re-encoded', meaning: 'the same footage, re-compressed or resized' },
  changed: { label: 'Changed', meaning: 'the picture differs from the signed video here' },
  missing: { label: 'Cut', meaning: 'this part of the signed video is not in the copy' },
  extra: { label: 'Added', meaning: 'footage the signed video does not have' },
};

const clock = (s: number): string => {
  const m = Math.floor(s / 60);
  const r = Math.floor(s % 60);
  return `${m}:${String(r).padStart(2, '0')}`;
};

/**
 * What happened to the footage, in the words of core/provenance/verdict-words.ts (footageWords): a re-encode cannot
 * keep the segment chain's hashes, and that is no reason to call it broken when every segment matches visually.
 */
function footageText(segments: Segment[], chainIntact: boolean | undefined): string {
  const n = (st: Segment['status']): number => segments.filter((s) => s.status === st).length;
  const traced = n('match') + n('similar');
  const signed = segments.length - n('extra');
  if (traced === signed && n('extra') === 0) {
    return chainIntact && n('similar') === 0
      ? 'Every segment is the signed footage, frame for frame and in order.'
      : `Re-encoded: every segment matches the signed footage visually (${traced} of ${signed}).`;
  }
  const kept = segments.filter((s) => s.status === 'match' || s.status === 'similar');
  const first = segments.findIndex((s) => s.status !== 'missing');
  const last = segments.findLastIndex((s) => s.status !== 'missing');
  const excerpt = n('extra') === 0 && n('changed') === 0 && kept.length > 0 && segments.slice(first, last + 1).every((s) => s.status === 'match' || s.status === 'similar');
  if (excerpt) return `An excerpt: ${clock(kept[0]!.start)}–${clock(kept.at(-1)!.end)} of the signed video, every segment in it matching the signed footage; the rest was cut.`;
  return `${traced} of ${signed} signed segments traced; the rest was changed, cut or added (below).`;
}

export function SegmentTimeline({ segments, chainIntact, ranges }: { segments: Segment[]; chainIntact: boolean | undefined; ranges?: Range[] | undefined }) {
  const total = Math.max(...segments.map((s) => s.end), 0.001);
  const used = [...new Set(segments.map((s) => s.status))];
  const untraced = segments.filter((s) => s.status === 'changed' || s.status === 'extra').length;
  return (
    <section className="timeline" aria-label="Video timeline">
      <h3>Timeline</h3>
      <p className={untraced === 0 ? 'ok-text' : 'bad-text'}>{footageText(segments, chainIntact)}</p>
      <ol className="segments" data-testid="segments">
        {segments.map((s) => (
          <li
            key={`${s.status}-${s.index}-${s.start}`}
            className={`segment seg-${s.status}`}
            style={{ flexGrow: Math.max(s.end - s.start, total / 200) }}
            title={`${clock(s.start)}–${clock(s.end)}: ${STATUS_TEXT[s.status].label}`}
            aria-label={`${clock(s.start)} to ${clock(s.end)}: ${STATUS_TEXT[s.status].label}`}
          />
        ))}
      </ol>
      <div className="axis" aria-hidden="true">
        <span>0:00</span>
        <span>{clock(total)}</span>
      </div>
      <ul className="legend">
        {used.map((st) => (
          <li key={st}>
            <span className={`swatch seg-${st}`} aria-hidden="true" /> <strong>{STATUS_TEXT[st].label}</strong>: {STATUS_TEXT[st].meaning} (
            {segments.filter((s) => s.status === st).length})
          </li>
        ))}
      </ul>
      {ranges && ranges.length > 0 && (
        <p data-testid="changed-ranges">
          Not traced to the signed video:{' '}
          {ranges.map((r) => `${clock(r.start)}–${clock(r.end)} ${STATUS_TEXT[r.status].label.toLowerCase()}`).join('; ')}.
        </p>
      )}
    </section>
  );
}
