// An item's history: the workflow's events and the comments around them, in time order.
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { EVENT_LABEL, dateTime } from '../format.ts';

type Detail = DeskResult<'item'>;

type Row = { at: string; who: string; what: string; text: string | null; kind: string };

export function History({ detail }: { detail: Detail }) {
  const rows: Row[] = [
    { at: detail.record.signedAt, who: '', what: 'Signed', text: null, kind: 'signed' },
    ...detail.workflow.history.map((h) => ({ at: h.at, who: h.actor, what: `${EVENT_LABEL[h.event]}${h.stage ? ` (${h.stage})` : ''}`, text: h.comment, kind: h.event })),
    ...detail.comments.map((c) => ({ at: c.at, who: c.by, what: 'Commented', text: c.text, kind: 'comment' })),
  ];
  rows.sort((a, b) => a.at.localeCompare(b.at));
  return (
    <ol className="history" aria-label="History">
      {rows.map((r, i) => (
        <li key={`${r.at}-${i}`} className={`ev-${r.kind}`}>
          <time dateTime={r.at}>{dateTime(r.at)}</time>
          <div>
            <strong>{r.what}</strong>
            {r.who && <> by <span className="who">{r.who}</span></>}
            {r.text && <blockquote>{r.text}</blockquote>}
          </div>
        </li>
      ))}
    </ol>
  );
}
