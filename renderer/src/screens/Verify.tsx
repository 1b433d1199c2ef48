// Verify: drop any copy; the verdict in a sentence, who signed it and when, what was changed, and every check
// behind "Details" (components/VerifyResult.tsx). Works without an account, in web mode too.
import { useState } from 'react';
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { deskPath, desk, errorText, withProgress } from '../api.ts';
import { Alert } from '../components/Alert.tsx';
import { DropZone, type Picked } from '../components/DropZone.tsx';
import { VerifyResult } from '../components/VerifyResult.tsx';
import { MetadataView } from '../components/Metadata.tsx';

type Report = DeskResult<'verify'>;

/** Formats whose watermark is a video's (per frame): the deeper search is a photo's. */
const VIDEO = new Set(['mp4', 'mov', 'webm']);

/** What happens to the file, said truthfully for each host. */
const WHERE: Record<'electron' | 'web' | 'test', string> = {
  electron: 'The file is read where it is and never copied; only its fingerprints go to the organisation’s hub.',
  web: 'The file goes only to this desk, is checked, and is deleted as soon as the answer is shown; only its fingerprints go to the organisation’s hub.',
  test: 'The file is read where it is and never copied.',
};

export function Verify({ nativeDialogs, host }: { nativeDialogs: boolean; host: 'electron' | 'web' | 'test' }) {
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ what: string; fraction: number } | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copy, setCopy] = useState<File | null>(null);
  // the file last checked, for a deeper watermark search of the same file (its report says whether one ran)
  const [last, setLast] = useState<{ pick: Picked } | null>(null);

  const verify = async ([p]: Picked[], deep = false) => {
    if (!p) return;
    setLast({ pick: p });
    setBusy(true);
    setError(null);
    setReport(null);
    setName(p.name);
    setCopy(p.file ?? null);
    try {
      const path = p.path ?? (await deskPath(p.file!, (f) => setProgress({ what: 'Sending', fraction: f })));
      setProgress(null);
      setReport(await withProgress((f) => setProgress({ what: 'Checking', fraction: f }), (progressKey) => desk.verify({ path, progressKey, ...(deep ? { deep } : {}) })));
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
      <p className="lead" data-testid="verify-lead">
        Drop any copy of a photo or a video: a download, a screenshot, a file from a wire. No account needed. {WHERE[host]}
      </p>
      <DropZone label="Drop any copy to verify it" compact={report !== null} nativeDialogs={nativeDialogs} purpose="verify" busy={busy} onPick={(p) => void verify(p)} />
      {busy && (
        <p role="status" className="muted">
          {progress?.what ?? 'Checking'} {name}…{' '}
          {progress !== null && (
            <>
              <progress max={1} value={progress.fraction} aria-label={`${progress.what} ${name}`} /> {Math.round(progress.fraction * 100)} %
            </>
          )}
        </p>
      )}
      <Alert text={error} />
      {report && last && !busy && report.checks.watermark['deep'] !== true && !VIDEO.has(report.format) && report.checks.watermark.status === 'absent' && (
        <p className="muted" data-testid="deep-search">
          No watermark was found by the usual search. A copy that was squeezed or stretched and cropped can still carry one.{' '}
          <button type="button" onClick={() => void verify([last.pick], true)}>
            Search deeper
          </button>
        </p>
      )}
      {report && <VerifyResult report={report} name={name} copy={copy} />}
      {report?.metadata && <MetadataView fields={report.metadata.fields} source={report.metadata.source} />}
    </section>
  );
}
