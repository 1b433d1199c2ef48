// Verify: drop any copy; the verdict in a sentence, every check explained in plain words, and for a video the
// timeline of its segments. Works without an account.
import { useState } from 'react';
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { deskPath, desk, errorText, withProgress } from '../api.ts';
import { Alert } from '../components/Alert.tsx';
import { ChangedRegions } from '../components/ChangedRegions.tsx';
import { DropZone, type Picked } from '../components/DropZone.tsx';
import { SegmentTimeline } from '../components/SegmentTimeline.tsx';
import { go } from '../hooks.ts';

type Report = DeskResult<'verify'>;
type CheckName = keyof Report['checks'];

const VERDICT: Record<Report['verdict'], { title: string; text: string }> = {
  authentic: { title: 'Authentic', text: 'This is the signed file, unchanged.' },
  original: { title: 'Original', text: 'The file a record was signed from, not the signed version.' },
  published: { title: 'Published', text: "The organisation's published version." },
  derived: { title: 'Derived', text: 'A re-encoded, resized or cropped copy of a signed file. The picture is ours; the bytes were changed since signing.' },
  tampered: { title: 'Tampered', text: 'Credentials are present, but the content no longer matches them.' },
  unknown: { title: 'Unknown', text: 'Nothing on this desk vouches for this file. It may be genuine, but it was not signed here.' },
};

const LOCAL_EDIT = 'The picture is ours, but part of it was changed after signing: the outlines below show where.';

const CHECKS: Record<CheckName, { name: string; means: string }> = {
  sha256: { name: 'Exact copy', means: 'Are these the very bytes that were signed, or that signing produced?' },
  signature: { name: 'Organisation signature', means: "Does the desk's signature over the file's fingerprint hold?" },
  watermark: { name: 'Invisible watermark', means: 'Does the picture carry a watermark this desk embedded? It survives re-encoding and resizing.' },
  phash: { name: 'Visual fingerprint', means: 'Does the picture look like a signed one, even after small changes?' },
  c2pa: { name: 'Content Credentials', means: 'Is there a C2PA manifest, is it valid, and is it signed by a certificate we trust?' },
  anchor: { name: 'Public log', means: "Is this record in the organisation's transparency log at the hub, and is that log's checkpoint registered on a public chain, where nobody (the hub's operator included) can change it?" },
  layout: { name: 'Picture content', means: 'Laid over the signed picture, does any area show something else? Re-encoding, resizing, cropping and colour changes do not count.' },
};

const STATUS: Record<Report['checks']['sha256']['status'], { word: string; icon: string }> = {
  pass: { word: 'Passed', icon: '✓' },
  fail: { word: 'Failed', icon: '✗' },
  absent: { word: 'Not found', icon: '–' },
  skipped: { word: 'Not checked', icon: '…' },
};

export function Verify({ nativeDialogs }: { nativeDialogs: boolean }) {
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copy, setCopy] = useState<File | null>(null);

  const verify = async ([p]: Picked[]) => {
    if (!p) return;
    setBusy(true);
    setError(null);
    setReport(null);
    setName(p.name);
    setCopy(p.file ?? null);
    try {
      const path = p.path ?? (await deskPath(p.file!, setProgress));
      setProgress(null);
      setReport(await withProgress((f) => setProgress(f), (progressKey) => desk.verify({ path, progressKey })));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };

  return (
    <section aria-labelledby="verify-h" className="screen">
      <h1 id="verify-h" tabIndex={-1}>Verify</h1>
      <p className="lead">Drop any copy of a photo or a video: a download, a screenshot, a file from a wire. The file stays on this computer.</p>
      <DropZone label="Drop any copy to verify it" compact={report !== null} nativeDialogs={nativeDialogs} purpose="verify" busy={busy} onPick={(p) => void verify(p)} />
      {busy && (
        <p role="status" className="muted">
          Checking {name}… {progress !== null && <progress max={1} value={progress} aria-label={`Checking ${name}`} />}
        </p>
      )}
      <Alert text={error} />
      {report && (
        <div className={`card verdict ${report.verdict}`} data-testid="verdict">
          <h3 data-testid="verdict-title">
            {VERDICT[report.verdict].title}: {report.verdict === 'tampered' && report.regions?.length ? LOCAL_EDIT : (report.summary ?? VERDICT[report.verdict].text)}
          </h3>
          <p>
            {name} · confidence {Math.round(report.confidence * 100)} %
            {report.recordId && (
              <>
                {' · record '}
                <button className="link" onClick={() => go('library', report.recordId!)}>{report.recordId}</button>
              </>
            )}
          </p>
          <meter min={0} max={1} value={report.confidence} aria-label="Confidence" />
          <ChangedRegions report={report} copy={copy} />
          {report.segments && report.segments.length > 0 && <SegmentTimeline segments={report.segments} chainIntact={report.chainIntact} ranges={report.changedRanges} />}
          <ul className="checks">
            {(Object.keys(CHECKS) as CheckName[]).map((k) => {
              const c = report.checks[k];
              if (!c) return null;
              return (
                <li key={k} className={`check-row status-${c.status}`} data-testid={`check-${k}`}>
                  <span className="check-icon" aria-hidden="true">{STATUS[c.status].icon}</span>
                  <div>
                    <strong>{CHECKS[k].name}</strong> <span className={`status ${c.status}`}>{STATUS[c.status].word}</span>
                    <p>{c.detail}</p>
                    <small className="muted">{CHECKS[k].means}</small>
                  </div>
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </section>
  );
}
