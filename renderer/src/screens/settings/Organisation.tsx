// The organisation and the desk: name, data folder, hybrid post-quantum signatures, limits, the time-stamp authority,
// and the allowed roots (where watched folders and web mode's files may live).
import { useState } from 'react';
import { desk, errorText } from '../../api.ts';
import { Alert } from '../../components/Alert.tsx';
import { bytes, dateTime } from '../../format.ts';
import { useLoad } from '../../hooks.ts';

export function Organisation({ isAdmin }: { isAdmin: boolean }) {
  const settings = useLoad(() => desk.settings({}), []);
  const info = useLoad(() => desk.info({}), []);
  const [error, setError] = useState<string | null>(null);
  const [tsaUrl, setTsaUrl] = useState<string | null>(null);
  const [tsaRoots, setTsaRoots] = useState('');
  const [roots, setRoots] = useState<string | null>(null);
  const s = settings.data;
  if (!s) return <Alert text={settings.error} />;
  const change = (args: Parameters<typeof desk.settingsSet>[0]) =>
    desk.settingsSet(args).then(
      () => {
        setError(null);
        settings.reload();
        return true;
      },
      (e: unknown) => {
        setError(errorText(e));
        return false;
      },
    );
  const setPq = (on: boolean) => change({ hybridPq: on });
  const url = tsaUrl ?? s.tsa.url ?? '';
  const rootsText = roots ?? s.allowedRoots.join('\n');
  return (
    <div className="card">
      <dl className="facts">
        <dt>Organisation</dt><dd>{s.org}</dd>
        <dt>Desk created</dt><dd>{s.createdAt ? dateTime(s.createdAt) : '—'}</dd>
        <dt>Data folder</dt><dd><code>{s.home}</code></dd>
        <dt>Version</dt><dd>{info.data?.version}</dd>
        <dt>Limits</dt><dd>{bytes(s.limits.maxImageBytes)} and {Math.round(s.limits.maxPixels / 1e6)} megapixels per image, {Math.round(s.limits.maxVideoSeconds / 360) / 10} hours per video</dd>
      </dl>
      <label className="check">
        <input type="checkbox" checked={s.hybridPq} disabled={!isAdmin} onChange={(e) => void setPq(e.target.checked)} />
        Hybrid post-quantum signatures: add an ML-DSA-65 co-signature to every manifest
      </label>
      <h3>Allowed roots</h3>
      <p>Watched folders, their output folders and the files web mode signs or verifies must lie under one of these folders (never the desk's own data folder nor a system folder). One folder per line.</p>
      <label>
        Allowed root folders
        <textarea rows={3} value={rootsText} disabled={!isAdmin} onChange={(e) => setRoots(e.target.value)} />
      </label>
      {isAdmin && (
        <button
          type="button"
          onClick={() => void change({ allowedRoots: rootsText.split('\n').map((l) => l.trim()).filter((l) => l !== '') }).then((ok) => ok && setRoots(null))}
        >
          Save allowed roots
        </button>
      )}
      <h3>Time-stamp authority</h3>
      <p>An RFC 3161 time-stamp on every signature keeps the Content Credentials valid after the signing certificate expires. When the authority does not answer, the stamp is obtained later.</p>
      <label>
        TSA URL
        <input type="url" value={url} disabled={!isAdmin} placeholder="https://tsa.example.com/tsr" onChange={(e) => setTsaUrl(e.target.value)} />
      </label>
      <p>{s.tsa.anchors} trusted TSA root certificate(s)</p>
      {isAdmin && (
        <>
          <button type="button" onClick={() => void change({ tsaUrl: url.trim() === '' ? null : url.trim() }).then((ok) => ok && setTsaUrl(null))}>
            Save TSA
          </button>
          <label>
            TSA root certificates (PEM)
            <textarea rows={4} value={tsaRoots} onChange={(e) => setTsaRoots(e.target.value)} />
          </label>
          <button type="button" disabled={tsaRoots.trim() === ''} onClick={() => void change({ tsaAnchorsPem: tsaRoots }).then((ok) => ok && setTsaRoots(''))}>
            Replace TSA roots
          </button>
        </>
      )}
      <Alert text={error} />
    </div>
  );
}
