// One signed item: what it is, where it stands in the workflow, what this user may do with it, and its history.
import { useState, type FormEvent, type MouseEvent } from 'react';
import { desk, downloadFile, errorText, fileUrl, isElectron } from '../api.ts';
import { dateTime, shortHash } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { Alert } from './Alert.tsx';
import { History } from './History.tsx';
import { Route } from './Route.tsx';
import { StateBadge } from './StateBadge.tsx';
import { Thumb } from './Thumb.tsx';
import { WorkflowActions } from './WorkflowActions.tsx';

export function ItemDetail({ id, onChanged, onClose }: { id: string; onChanged?: () => void; onClose?: () => void }) {
  const item = useLoad(() => desk.item({ id }), [id]);
  // Viewers read the discussion; the desk's policy lets only the acting roles add to it (and refuses the rest).
  const me = useLoad(() => desk.whoami({}), []);
  const canComment = !(me.data?.user?.roles.every((r) => r === 'viewer') ?? false);
  const [notice, setNotice] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);

  const changed = (message: string) => {
    setNotice(message);
    item.reload();
    onChanged?.();
  };
  const addComment = (e: FormEvent) => {
    e.preventDefault();
    desk.comment({ id, text: comment }).then(
      () => {
        setComment('');
        changed('Comment added');
      },
      (err: unknown) => setError(errorText(err)),
    );
  };
  const reveal = (published: boolean) => desk.reveal({ id, published }).catch((e: unknown) => setError(errorText(e)));
  const fetchFile = (e: MouseEvent, published: boolean) => {
    e.preventDefault();
    downloadFile(id, published).catch((x: unknown) => setError(errorText(x)));
  };

  if (item.error) return <Alert text={item.error} />;
  const d = item.data;
  if (!d) return <p className="muted">Loading…</p>;
  const r = d.record;
  const wf = d.workflow;
  return (
    <article className="detail" aria-labelledby="detail-h" data-testid="item-detail">
      <header>
        <h2 id="detail-h">{r.inputName}</h2>
        {onClose && <button className="ghost" aria-label="Close" onClick={onClose}>✕</button>}
      </header>
      <div className="detail-top">
        <Thumb id={r.id} alt={r.inputName} size={480} kind={r.kind} />
        <dl className="facts">
          <dt>Record</dt><dd><code>{r.id}</code></dd>
          <dt>Signed</dt><dd>{dateTime(r.signedAt)}</dd>
          <dt>Format</dt><dd>{r.format.toUpperCase()}{r.width && r.height ? `, ${r.width} × ${r.height}` : ''}</dd>
          <dt>Watermark</dt><dd>{r.watermark === 'embedded' ? 'embedded' : r.watermark.replace(/^skipped:/, 'skipped: ')}</dd>
          <dt>SHA-256</dt><dd><code title={r.sha256}>{shortHash(r.sha256, 16)}</code></dd>
          <dt>Key</dt><dd><code>{r.keyId}</code></dd>
          <dt>Status</dt><dd><StateBadge state={wf.state === 'draft' && wf.history.length === 0 ? 'unsubmitted' : wf.state} stage={wf.stage} /></dd>
        </dl>
      </div>
      <p className="files">
        {isElectron ? (
          <>
            <button onClick={() => void reveal(false)}>Show signed file</button>
            {wf.publication && <button onClick={() => void reveal(true)}>Show published file</button>}
          </>
        ) : (
          <>
            <a href={fileUrl(r.id)} onClick={(e) => fetchFile(e, false)}>Download signed file</a>
            {wf.publication && <a href={fileUrl(r.id, true)} onClick={(e) => fetchFile(e, true)}>Download published file</a>}
          </>
        )}
      </p>
      <Alert text={notice} kind="ok" />
      <section aria-label="Workflow">
        <h3>Workflow</h3>
        {wf.route.length > 0 && <Route status={wf} />}
        {(wf.classification || wf.flags.length > 0) && (
          <p className="muted">
            {wf.classification}{wf.flags.length ? ` · ${wf.flags.join(', ')}` : ''}{wf.embargo ? ` · embargo until ${dateTime(wf.embargo)}` : ''}
            {wf.consent ? ` · consent ${wf.consent}` : ''}
          </p>
        )}
        <WorkflowActions key={`${wf.state}-${wf.stage}-${wf.history.length}`} status={wf} onDone={changed} />
      </section>
      <section aria-label="History and comments">
        <h3>History</h3>
        <History detail={d} />
        {canComment && (
          <form className="comment" onSubmit={addComment}>
            <label>
              Add a comment
              <textarea rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
            </label>
            <button type="submit" disabled={!comment.trim()}>Comment</button>
          </form>
        )}
        <Alert text={error} />
      </section>
    </article>
  );
}
