// An item's history: who did what, when and where ("Signed by ed, 14:02 on desk-3"), the workflow's events and the
// comments around them, in time order.
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { EVENT_LABEL, dateTime, stamp } from '../format.ts';

type Detail = DeskResult<'item'>;

type Row = { at: string; who: string; what: string; where: string | null; text: string | null; kind: string };

export function History({ detail }: { detail: Detail }) {
  const s = detail.signedBy;
  const rows: Row[] = [
    { at: s?.at ?? detail.record.signedAt, who: s?.by ?? '', what: 'Signed', where: s?.desk ?? null, text: null, kind: 'signed' },
    ...detail.workflow.history.map((h) => ({ at: h.at, who: h.actor, what: `${EVENT_LABEL[h.event]}${h.stage ? ` (${h.stage})` : ''}`, where: null, text: h.comment, kind: h.event })),
    ...detail.comments.map((c) => ({ at: c.at, who: c.by, what: 'Commented', where: null, text: c.text, kind: 'comment' })),
  ];
  rows.sort((a, b) => a.at.localeCompare(b.at));
  return (
    <ol className="history" aria-label="History">
      {rows.map((r, i) => (
        <li key={`${r.at}-${i}`} className={`ev-${r.kind}`} data-testid="history-row">
          <div>
            <strong>{r.what}</strong>
            {r.who && <> by <span className="who">{r.who}</span></>}
            {', '}
            <time dateTime={r.at} title={stamp(r.at)}>{dateTime(r.at)}</time>
            {r.where && <> on <span className="where">{r.where}</span></>}
            {r.text && <blockquote>{r.text}</blockquote>}
          </div>
        </li>
      ))}
    </ol>
  );
}
