// A record as a verifier sees it (the link a verdict gives, #/records/ID): who signed it and when, whether it was
// published and where it stands in the public log, and its picture once published. Nothing of the newsroom's
// workflow: the desk decides what is public (core/api/public-record.ts), this screen only shows it.
import { desk } from '../api.ts';
import { Alert } from '../components/Alert.tsx';
import { dateTime } from '../format.ts';
import { go, useLoad } from '../hooks.ts';

const ANCHOR: Record<'local' | 'pending' | 'logged' | 'anchored' | 'refused', string> = {
  local: 'Kept on this desk only: it is not connected to the organisation’s public log.',
  pending: 'Waiting to enter the organisation’s public log.',
  logged: 'In the organisation’s public log, not yet registered on a public chain.',
  anchored: 'In the organisation’s public log, registered on a public chain.',
  refused: 'Not in the organisation’s public log.',
};

export function PublicRecord({ id, member }: { id: string; member: boolean }) {
  const rec = useLoad(() => desk.publicRecord({ id }), [id]);
  const r = rec.data;
  return (
    <section aria-labelledby="record-h" className="screen">
      <h1 id="record-h" tabIndex={-1}>Record</h1>
      <Alert text={rec.error} />
      {r && (
        <div className="card public-record" data-testid="public-record">
          <div className="public-record-body">
            <div className="public-picture">
              {r.thumbnail ? <img src={r.thumbnail} alt="The signed picture" /> : <div className="thumb no-picture">{r.kind === 'video' ? 'A signed video' : 'The picture is shown once the organisation publishes it'}</div>}
            </div>
            <dl className="facts">
              <dt>Record</dt>
              <dd><code>{r.id}</code></dd>
              <dt>Signed by</dt>
              <dd data-testid="record-signer">{r.org}{r.desk ? ` (desk ${r.desk})` : ''}</dd>
              <dt>Signed on</dt>
              <dd>{dateTime(r.signedAt)}</dd>
              <dt>Signing key</dt>
              <dd><code>{r.keyId}</code></dd>
              <dt>File</dt>
              <dd>{r.kind === 'video' ? 'Video' : 'Photo'}, {r.format.toUpperCase()}{r.width && r.height ? `, ${r.width} × ${r.height}` : ''}</dd>
              <dt>Published</dt>
              <dd data-testid="record-published">{r.publishedAt ? dateTime(r.publishedAt) : 'Not published'}</dd>
              <dt>Public log</dt>
              <dd data-testid="record-anchor">
                {ANCHOR[r.anchor.state]}
                {r.anchor.chain && ` Chain ${r.anchor.chain.chainId}, block ${r.anchor.chain.block}.`}
              </dd>
            </dl>
          </div>
          <p className="muted">To check a copy against this record, drop it on the <a href="#/verify">Verify</a> page.</p>
          {member && <button className="link" onClick={() => go('library', r.id)}>Open in the library</button>}
        </div>
      )}
    </section>
  );
}
