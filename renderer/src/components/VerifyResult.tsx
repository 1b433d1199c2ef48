// A verification's answer for anyone: the verdict in one sentence, who signed the file and when, the copy beside
// the signed original (with the changed areas outlined, or a video's timeline), and every signal behind "Details".
import { useEffect, useState } from 'react';
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { desk } from '../api.ts';
import { dateTime } from '../format.ts';
import { ChangedRegions } from './ChangedRegions.tsx';
import { SegmentTimeline } from './SegmentTimeline.tsx';

type Report = DeskResult<'verify'>;
type CheckName = keyof Report['checks'];

export const VERDICT: Record<Report['verdict'], { title: string; text: string }> = {
  authentic: { title: 'Authentic', text: 'This is the signed file, unchanged.' },
  original: { title: 'Original', text: 'The file a record was signed from, not the signed version.' },
  published: { title: 'Published', text: "The organisation's published version." },
  derived: { title: 'Derived', text: 'A re-encoded, resized or cropped copy of a signed file. The picture is ours; the bytes were changed since signing.' },
  tampered: { title: 'Tampered', text: 'Linked to a signed file, but its content or its record no longer matches what was signed.' },
  unknown: { title: 'Unknown', text: 'Nothing on this desk vouches for this file. It may be genuine, but it was not signed here.' },
};

const VIDEO_FORMATS = new Set(['mp4', 'mov', 'webm']);

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

/**
 * The one sentence: core's summary without the signer and publisher it goes on to name (the line below says who
 * signed, in the reader's time zone), or what the verdict means; a local edit says where to look.
 */
export function verdictSentence(r: Report): string {
  if (r.verdict === 'tampered' && r.regions?.length) return LOCAL_EDIT;
  if (!r.summary) return VERDICT[r.verdict].text;
  return r.summary.split(/(?<=\.)\s+(?=(?:Signed|Published) )/)[0]!;
}

/** "Signed by ed for Daily Planet (desk-3) on 4 Dec 2026, 14:02." from what the caller may see. */
function signedBy(r: Report): string | null {
  if (!r.signed) return null;
  const who = r.signer?.user ? `${r.signer.user} for ` : '';
  const deskName = r.signer?.desk ? ` (desk ${r.signer.desk})` : '';
  return `Signed by ${who}${r.signed.org || 'this organisation'}${deskName} on ${dateTime(r.signed.signedAt)}.`;
}

/** The dropped copy as a picture the page can show (an object URL, revoked when it changes). */
function useObjectUrl(file: File | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file || !file.type.startsWith('image/')) return setUrl(null);
    const u = URL.createObjectURL(file);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [file]);
  return url;
}

/** The signed original's picture, as the record's public view hands it out (none before publication, for a visitor). */
function useSignedPicture(id: string | null): { url: string | null; loaded: boolean } {
  const [state, setState] = useState<{ url: string | null; loaded: boolean }>({ url: null, loaded: false });
  useEffect(() => {
    let live = true;
    setState({ url: null, loaded: false });
    if (id) desk.publicRecord({ id }).then((r) => live && setState({ url: r.thumbnail, loaded: true }), () => live && setState({ url: null, loaded: true }));
    return () => {
      live = false;
    };
  }, [id]);
  return state;
}

function Figure({ src, caption, empty, testId }: { src: string | null; caption: string; empty: string; testId: string }) {
  return (
    <figure className="regions-figure" data-testid={testId}>
      <div className="regions-picture">{src ? <img src={src} alt={caption} /> : <div className="thumb no-picture">{empty}</div>}</div>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

export function VerifyResult({ report, name, copy }: { report: Report; name: string | null; copy: File | null }) {
  const copyUrl = useObjectUrl(copy);
  const isVideo = report.segments !== undefined || VIDEO_FORMATS.has(report.format);
  const original = useSignedPicture(!isVideo ? report.recordId : null);
  const signed = signedBy(report);
  const checks = (Object.keys(CHECKS) as CheckName[]).filter((k) => report.checks[k]);
  const passed = checks.filter((k) => report.checks[k]!.status === 'pass').length;
  const hasRegions = (report.regions?.length ?? 0) > 0 && report.original;
  return (
    <div className={`card verdict ${report.verdict}`} data-testid="verdict">
      <h3 data-testid="verdict-title">
        {VERDICT[report.verdict].title}: {verdictSentence(report)}
      </h3>
      {signed && (
        <p data-testid="signed-by">
          {signed}
          {report.recordId && (
            <>
              {' '}
              <a href={`#/records/${encodeURIComponent(report.recordId)}`} data-testid="record-link">Record {report.recordId}</a>
            </>
          )}
        </p>
      )}
      {hasRegions ? (
        <ChangedRegions report={report} copyUrl={copyUrl} originalUrl={original.url} />
      ) : (
        report.recordId && !isVideo && (
          <div className="regions-pair" data-testid="pair">
            <Figure src={copyUrl} caption={`The copy you dropped${name ? ` (${name})` : ''}`} empty="No preview of this file" testId="pair-copy" />
            <Figure src={original.url} caption="The signed original" empty={original.loaded ? 'Shown once the organisation publishes it' : 'Loading…'} testId="pair-original" />
          </div>
        )
      )}
      {report.segments && report.segments.length > 0 && <SegmentTimeline segments={report.segments} chainIntact={report.chainIntact} ranges={report.changedRanges} />}
      <details className="signals" data-testid="details">
        <summary>
          Details: {passed} of {checks.length} checks passed · confidence {Math.round(report.confidence * 100)} %
        </summary>
        <meter min={0} max={1} value={report.confidence} aria-label="Confidence" />
        <ul className="checks">
          {checks.map((k) => {
            const c = report.checks[k]!;
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
      </details>
    </div>
  );
}
