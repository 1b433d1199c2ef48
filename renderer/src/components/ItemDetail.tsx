// One item: the large preview with its loupe, the facts (who signed it when and where, where it stands with the
// hub), its files, the workflow with exactly the actions this user may take, one comment box, and the history.
import { useState, type FormEvent, type MouseEvent } from 'react';
import { desk, downloadFile, errorText, fileUrl, isElectron } from '../api.ts';
import { dateTime, shortHash } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { useMay } from '../may.ts';
import { Alert } from './Alert.tsx';
import { AnchorBadge } from './AnchorBadge.tsx';
import { History } from './History.tsx';
import { Loupe } from './Loupe.tsx';
import { Route } from './Route.tsx';
import { StateBadge } from './StateBadge.tsx';
import { WorkflowActions } from './WorkflowActions.tsx';
import { MetadataView, type Fields } from './Metadata.tsx';

export interface ItemDetailProps {
  id: string;
  onChanged?: () => void;
  onClose?: () => void;
  /** The Library drives the loupe's zoom with the Space key. */
  zoomed?: boolean;
  onZoom?: (zoomed: boolean) => void;
}

export function ItemDetail({ id, onChanged, onClose, zoomed, onZoom }: ItemDetailProps) {
  const item = useLoad(() => desk.item({ id }), [id]);
  const { may } = useMay();
  const [notice, setNotice] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);

  const changed = (message: string, usedComment = true) => {
    setNotice(message);
    if (usedComment) setComment('');
    item.reload();
    onChanged?.();
  };
  const addComment = (e: FormEvent) => {
    e.preventDefault();
    desk.comment({ id, text: comment }).then(
      () => changed('Comment added'),
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
  if (!d || d.record.id !== id) return <p className="muted">Loading…</p>;
  const r = d.record;
  const wf = d.workflow;
  // The policy's fileDownload check: the signed copy of unpublished work goes to those who may sign.
  const mayHaveFiles = may('sign');
  return (
    <article className="detail" aria-labelledby="detail-h" data-testid="item-detail">
      <header>
        <h2 id="detail-h">{r.inputName}</h2>
        {onClose && <button className="ghost" aria-label="Close" onClick={onClose}>✕</button>}
      </header>
      <Loupe
        key={r.id}
        id={r.id}
        alt={r.inputName}
        kind={r.kind}
        mayHaveFiles={mayHaveFiles}
        published={wf.publication !== null}
        {...(zoomed !== undefined ? { zoomed } : {})}
        {...(onZoom ? { onZoom } : {})}
      />
      <dl className="facts">
        <dt>Status</dt><dd data-testid="item-state"><StateBadge state={wf.state === 'draft' && wf.history.length === 0 ? 'unsubmitted' : wf.state} stage={wf.stage} /></dd>
        <dt>Signed</dt>
        <dd data-testid="signed-by">
          {d.signedBy ? <>by <strong>{d.signedBy.by}</strong>, {dateTime(d.signedBy.at)} on {d.signedBy.desk}</> : dateTime(r.signedAt)}
        </dd>
        <dt>Anchoring</dt><dd><AnchorBadge anchor={d.anchor} long /></dd>
        <dt>Format</dt><dd>{r.format.toUpperCase()}{r.width && r.height ? `, ${r.width} × ${r.height}` : ''}</dd>
        <dt>Watermark</dt><dd>{r.watermark === 'embedded' ? 'embedded' : r.watermark.replace(/^skipped:/, 'skipped: ')}</dd>
        <dt>Record</dt><dd><code>{r.id}</code></dd>
        <dt>SHA-256</dt><dd><code title={r.sha256}>{shortHash(r.sha256, 16)}</code></dd>
        <dt>Key</dt><dd><code>{r.keyId}</code></dd>
      </dl>
      {/* The IPTC fields signed with it (the record's, bound by its key and in the Content Credentials). */}
      {typeof r.details.metadata === 'object' && r.details.metadata !== null && <MetadataView fields={r.details.metadata as Fields} />}
      <p className="files">
        {isElectron ? (
          <>
            {mayHaveFiles && <button onClick={() => void reveal(false)}>Show signed file</button>}
            {wf.publication && <button onClick={() => void reveal(true)}>Show published file</button>}
          </>
        ) : (
          <>
            {mayHaveFiles && <a href={fileUrl(r.id)} onClick={(e) => fetchFile(e, false)}>Download signed file</a>}
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
            {wf.classification ? `Classification: ${wf.classification}` : ''}{wf.flags.length ? `${wf.classification ? ' · ' : ''}Flags: ${wf.flags.join(', ')}` : ''}{wf.embargo ? ` · embargo until ${dateTime(wf.embargo)}` : ''}
            {wf.consent ? ` · consent ${wf.consent}` : ''}
          </p>
        )}
        <WorkflowActions key={`${wf.state}-${wf.stage}-${wf.history.length}`} status={wf} comment={comment} onDone={changed} />
        {/* One comment box per item: a remark on its own, or the reason an approval, rejection or change request carries. */}
        {may('comment') && (
          <form className="comment" onSubmit={addComment}>
            <label>
              Comment
              <textarea rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
            </label>
            <button type="submit" disabled={!comment.trim()}>Add comment</button>
          </form>
        )}
        <Alert text={error} />
      </section>
      <section aria-label="History">
        <h3>History</h3>
        <History detail={d} />
      </section>
    </article>
  );
}
