// Sign: drop photos (or choose them); each is signed in turn, with its own progress, and its result shown with the
// record id and a preview. One call per file keeps the progress real and one bad file from stopping the rest.
import { useRef, useState } from 'react';
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { deskPath, desk, errorText, withProgress } from '../api.ts';
import { DropZone, type Picked } from '../components/DropZone.tsx';
import { changedFields, MetadataFields, type Fields } from '../components/Metadata.tsx';
import { Modal } from '../components/Modal.tsx';
import { Thumb } from '../components/Thumb.tsx';
import { dateTime } from '../format.ts';
import { go } from '../hooks.ts';

type Receipt = DeskResult<'sign'>['receipts'][number];
type Already = NonNullable<DeskResult<'sign'>['failures'][number]['already']>;
type Edits = Record<string, string | string[]> | null;
type Job = {
  key: number;
  name: string;
  state: 'queued' | 'uploading' | 'review' | 'signing' | 'signed' | 'failed' | 'already';
  /** What was picked: signing again sends the file anew in web mode (an upload is gone once a sign call answered). */
  picked?: Picked;
  /** Already signed on this desk: the record, when and by whom, until the signer answers; the edits to sign with. */
  already?: Already;
  edits?: Edits;
  /** The file on the desk, once uploaded (web mode) or picked. */
  path?: string;
  /** Reviewing: the IPTC fields the file carries, and as edited; writable: the desk can write edits into it. */
  metadata?: { before: Fields; fields: Fields; writable: boolean };
  /** Fraction done of the current state; null while the desk cannot say (a photo signs in one step). */
  progress: number | null;
  detail?: string;
  receipt?: Receipt;
  error?: string;
};

const REVIEW_KEY = 'custody.reviewMetadata';

const STATE_TEXT: Record<Job['state'], string> = {
  queued: 'Waiting', uploading: 'Sending', review: 'Check the metadata, then sign', signing: 'Signing', signed: 'Signed', failed: 'Not signed', already: 'Already signed',
};

/** The question asked before a second record: "This photo was already signed on 3 Dec 14:02 by ed (record …)." */
export const alreadyText = (a: Already): string => `This photo was already signed on ${dateTime(a.signedAt)}${a.by ? ` by ${a.by}` : ''} (record ${a.recordId}).`;

export function Sign({ nativeDialogs, onSigned }: { nativeDialogs: boolean; onSigned: () => void }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [outDir, setOutDir] = useState<string | null>(null);
  // Review before signing: each photo waits with its IPTC fields (read from the file) until the signer signs it.
  const [review, setReview] = useState(() => localStorage.getItem(REVIEW_KEY) === 'on');
  const queue = useRef<Promise<void>>(Promise.resolve());
  const nextKey = useRef(1);

  const update = (key: number, patch: Partial<Job>) => setJobs((js) => js.map((j) => (j.key === key ? { ...j, ...patch } : j)));

  const upload = async (key: number, p: Picked): Promise<string> => {
    update(key, { state: p.file && !p.path ? 'uploading' : 'signing', progress: 0 });
    const path = p.path ?? (await deskPath(p.file!, (progress) => update(key, { progress })));
    update(key, { path });
    return path;
  };

  const signPath = async (key: number, path: string, metadata: Edits, again = false) => {
    try {
      update(key, { state: 'signing', progress: null });
      const r = await withProgress(
        (progress, detail) => update(key, { progress, detail }),
        (progressKey) => desk.sign({ paths: [path], progressKey, ...(outDir ? { outDir } : {}), ...(metadata ? { metadata } : {}), ...(again ? { again } : {}) }),
      );
      const failure = r.failures[0];
      // Bytes this desk signed before: the signer is asked (below) before a second record is made.
      if (failure?.already) update(key, { state: 'already', already: failure.already, edits: metadata });
      else if (failure) update(key, { state: 'failed', error: failure.message });
      else update(key, { state: 'signed', receipt: r.receipts[0]!, metadata: undefined, already: undefined });
    } catch (e) {
      update(key, { state: 'failed', error: errorText(e) });
    }
  };

  const signOne = async (key: number, p: Picked) => {
    let path: string;
    try {
      path = await upload(key, p);
    } catch (e) {
      update(key, { state: 'failed', error: errorText(e) });
      return;
    }
    if (!review) return signPath(key, path, null);
    try {
      const m = await desk.fileMetadata({ path });
      update(key, { state: 'review', progress: null, metadata: { before: m.fields, fields: m.fields, writable: m.writable } });
    } catch (e) {
      update(key, { state: 'failed', error: errorText(e) });
    }
  };

  /** The signer's answer to "sign it again?": a second record, or the photo left unsigned. */
  const answer = (j: Job, signAgain: boolean) => {
    if (!signAgain) {
      update(j.key, { state: 'failed', error: `Not signed again: ${alreadyText(j.already!)}`, already: undefined });
      return;
    }
    update(j.key, { state: 'queued', already: undefined });
    queue.current = queue.current
      .then(async () => {
        let path = j.path!;
        if (j.picked?.file && !j.picked.path) path = await upload(j.key, j.picked);
        await signPath(j.key, path, j.edits ?? null, true);
      })
      .catch((e: unknown) => update(j.key, { state: 'failed', error: errorText(e) }))
      .then(onSigned);
  };

  /** Signs a reviewed photo with the fields that were changed; queued behind whatever is signing. */
  const signReviewed = (j: Job) => {
    if (!j.path || !j.metadata) return;
    const edits = j.metadata.writable ? changedFields(j.metadata.before, j.metadata.fields) : null;
    update(j.key, { state: 'queued' });
    queue.current = queue.current.then(() => signPath(j.key, j.path!, edits)).then(onSigned);
  };

  const add = (picked: Picked[]) => {
    const added = picked.map((p) => ({ p, job: { key: nextKey.current++, name: p.name, state: 'queued' as const, progress: null, picked: p } }));
    setJobs((js) => [...added.map((a) => a.job), ...js]);
    for (const { p, job } of added) queue.current = queue.current.then(() => signOne(job.key, p));
    void queue.current.then(onSigned);
  };

  const pending = jobs.filter((j) => j.state !== 'signed' && j.state !== 'failed' && j.state !== 'review' && j.state !== 'already').length;
  const asking = jobs.filter((j) => j.state === 'already');
  // One question at a time, oldest first (jobs are listed newest first); each item also says it in the list.
  const ask = asking[asking.length - 1];
  const reviewing = jobs.filter((j) => j.state === 'review').length;
  const done = jobs.filter((j) => j.state === 'signed').length;
  return (
    <section aria-labelledby="sign-h" className="screen">
      <h1 id="sign-h" tabIndex={-1}>Sign</h1>
      <p className="lead">Each photo is fingerprinted, watermarked and given Content Credentials; each video is fingerprinted segment by segment. The original is never changed; the signed copy goes beside it.</p>
      <DropZone label="Drop photos to sign, or choose files" compact={jobs.length > 0} hint="Photos (JPEG, PNG, WebP, TIFF, HEIC, AVIF) and videos (MP4, MOV, WebM)" multiple nativeDialogs={nativeDialogs} purpose="sign" onPick={add} />
      {nativeDialogs && (
        <p className="muted">
          Signed copies go {outDir ? <>to <code>{outDir}</code></> : 'beside the originals'}.{' '}
          <button className="link" onClick={() => void desk.pickFolder({ purpose: 'output' }).then((r) => r.path && setOutDir(r.path))}>Choose a folder…</button>
          {outDir && <button className="link" onClick={() => setOutDir(null)}>Beside the originals</button>}
        </p>
      )}
      <label className="check">
        <input
          type="checkbox"
          checked={review}
          onChange={(e) => {
            setReview(e.target.checked);
            localStorage.setItem(REVIEW_KEY, e.target.checked ? 'on' : 'off');
          }}
        />
        Check and edit each photo’s caption, byline and other IPTC metadata before it is signed
      </label>
      {jobs.length > 0 && (
        <p role="status" className="muted">
          {pending > 0 ? `Signing ${pending} file${pending === 1 ? '' : 's'}…` : reviewing > 0 ? `${reviewing} waiting for their metadata to be checked.` : `${done} of ${jobs.length} signed.`}
          {asking.length > 0 ? ` ${asking.length} already signed before, waiting for your answer.` : ''}
        </p>
      )}
      {ask && (
        <Modal key={ask.key} title={`Sign ${ask.name} again?`} onClose={() => answer(ask, false)} testId="sign-again">
          <p>{alreadyText(ask.already!)} Sign it again as a new record?</p>
          <div className="buttons">
            <button type="button" onClick={() => answer(ask, false)}>Cancel</button>
            <button type="button" className="primary" onClick={() => answer(ask, true)}>Sign again</button>
          </div>
        </Modal>
      )}
      <ul className="jobs">
        {jobs.map((j) => (
          <li key={j.key} className={`job ${j.state}`} data-testid="sign-job">
            {j.receipt ? <Thumb id={j.receipt.recordId} alt={j.name} size={160} /> : <div className="thumb"><span aria-hidden="true">▧</span></div>}
            <div className="job-body">
              <strong>{j.name}</strong>
              <span className="job-state">{STATE_TEXT[j.state]}</span>
              {(j.state === 'uploading' || j.state === 'signing') && (
                <span className="job-progress">
                  <progress max={1} value={j.progress ?? undefined} aria-label={`${j.name}: ${STATE_TEXT[j.state]}`} />
                  {j.progress !== null && <span className="job-percent" data-testid="job-percent"> {Math.round(j.progress * 100)} %</span>}
                  {j.detail && j.state === 'signing' && <small className="muted"> {j.detail}</small>}
                </span>
              )}
              {j.receipt && (
                <p data-testid="receipt">
                  Record <code>{j.receipt.recordId}</code> · watermark {j.receipt.watermark.status} · Content Credentials {j.receipt.c2pa.status}
                  {j.receipt.c2pa.pq ? ' (with ML-DSA co-signature)' : ''}
                  {j.receipt.iimTruncated && (
                    <>
                      <br />
                      <small className="muted" data-testid="iim-truncated">Shortened to fit the legacy IPTC (IIM) block: {j.receipt.iimTruncated.join(', ')}. The XMP and the Content Credentials keep the full text.</small>
                    </>
                  )}
                  <br />
                  <button className="link" onClick={() => go('library', j.receipt!.recordId)}>Open in the library</button>
                </p>
              )}
              {j.state === 'review' && j.metadata && (
                <form className="metadata-review" onSubmit={(e) => { e.preventDefault(); signReviewed(j); }}>
                  {j.metadata.writable ? (
                    <MetadataFields value={j.metadata.fields} onChange={(fields) => update(j.key, { metadata: { ...j.metadata!, fields } })} />
                  ) : (
                    <p className="muted">This format keeps the metadata it came with; it is signed as it is.</p>
                  )}
                  <button type="submit" className="primary">Sign {j.name}</button>
                </form>
              )}
              {j.state === 'already' && j.already && <p className="note info" data-testid="already">{alreadyText(j.already)}</p>}
              {j.error && <p role="alert" className="error">{j.error}</p>}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
