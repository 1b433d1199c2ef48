// The organisation and the desk: name, data folder, hybrid post-quantum signatures, limits.
import { useState } from 'react';
import { desk, errorText } from '../../api.ts';
import { Alert } from '../../components/Alert.tsx';
import { bytes, dateTime } from '../../format.ts';
import { useLoad } from '../../hooks.ts';

export function Organisation({ isAdmin }: { isAdmin: boolean }) {
  const settings = useLoad(() => desk.settings({}), []);
  const info = useLoad(() => desk.info({}), []);
  const [error, setError] = useState<string | null>(null);
  const s = settings.data;
  if (!s) return <Alert text={settings.error} />;
  const setPq = (on: boolean) => desk.settingsSet({ hybridPq: on }).then(settings.reload, (e: unknown) => setError(errorText(e)));
  return (
    <div className="card">
      <dl className="facts">
        <dt>Organisation</dt><dd>{s.org}</dd>
        <dt>Desk created</dt><dd>{s.createdAt ? dateTime(s.createdAt) : '—'}</dd>
        <dt>Data folder</dt><dd><code>{s.home}</code></dd>
        <dt>Version</dt><dd>{info.data?.version}</dd>
        <dt>Limits</dt><dd>{bytes(s.limits.maxImageBytes)} and {Math.round(s.limits.maxPixels / 1e6)} megapixels per image</dd>
      </dl>
      <label className="check">
        <input type="checkbox" checked={s.hybridPq} disabled={!isAdmin} onChange={(e) => void setPq(e.target.checked)} />
        Hybrid post-quantum signatures: add an ML-DSA-65 co-signature to every manifest
      </label>
      <Alert text={error} />
    </div>
  );
}
