import { useCallback, useEffect, useState, type DragEvent, type FormEvent } from 'react';
import type { DeskResult } from '../../core/api/desk-api.ts';
import { DeskError, desk, isElectron, uploadFile } from './api.ts';

type Info = DeskResult<'info'>;
type Report = DeskResult<'verify'>;
type Items = DeskResult<'items'>;
type Receipt = DeskResult<'sign'>['receipts'][number];

const VERDICT_TEXT: Record<Report['verdict'], string> = {
  authentic: 'Authentic: this is the signed file, unchanged.',
  derived: 'Derived: a re-encoded, resized or cropped copy of a signed file.',
  tampered: 'Tampered: credentials are present but the content no longer matches them.',
  unknown: 'Unknown: nothing on this desk vouches for this file.',
};

const message = (e: unknown) => (e instanceof DeskError ? `${e.code}: ${e.message}` : String(e));

/** A path the desk process can read: the dropped file's own path in Electron, an upload in web mode. */
async function deskPath(file: File): Promise<string> {
  const withPath = file as File & { path?: string };
  if (isElectron && withPath.path) return withPath.path;
  return uploadFile(file);
}

function DropZone({ label, onFiles, busy }: { label: string; onFiles: (files: File[]) => void; busy: boolean }) {
  const [over, setOver] = useState(false);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    onFiles(Array.from(e.dataTransfer.files));
  };
  return (
    <label className={`drop${over ? ' over' : ''}`} onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)} onDrop={onDrop}>
      <span>{busy ? 'Working…' : label}</span>
      <input type="file" multiple aria-label={label} disabled={busy} onChange={(e) => onFiles(Array.from(e.target.files ?? []))} />
    </label>
  );
}

function Unlock({ onDone }: { onDone: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    desk.unlock({ passphrase }).then(onDone, (err: unknown) => setError(message(err)));
  };
  return (
    <form onSubmit={submit} className="card">
      <h2>Unlock the desk keys</h2>
      <input type="password" autoFocus aria-label="Passphrase" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
      <button type="submit">Unlock</button>
      {error && <p role="alert">{error}</p>}
    </form>
  );
}

function Sign({ onSigned }: { onSigned: () => void }) {
  const [busy, setBusy] = useState(false);
  const [receipts, setReceipts] = useState<Receipt[]>([]);
  const [errors, setErrors] = useState<string[]>([]);
  const sign = async (files: File[]) => {
    if (files.length === 0) return;
    setBusy(true);
    setErrors([]);
    try {
      const paths = await Promise.all(files.map(deskPath));
      const r = await desk.sign({ paths });
      setReceipts(r.receipts);
      setErrors(r.failures.map((f) => `${f.path.split(/[\\/]/).pop()}: ${f.code}: ${f.message}`));
      onSigned();
    } catch (e) {
      setErrors([message(e)]);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="sign-h">
      <h2 id="sign-h">Sign</h2>
      <DropZone label="Drop photos to sign, or choose files" onFiles={(f) => void sign(f)} busy={busy} />
      {errors.map((e) => <p role="alert" key={e}>{e}</p>)}
      {receipts.map((r) => (
        <div className="card" key={r.recordId} data-testid="receipt">
          <strong>{r.input.split(/[\\/]/).pop()}</strong> signed as record <code>{r.recordId}</code>; watermark {r.watermark.status}.
        </div>
      ))}
    </section>
  );
}

function Verify() {
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const verify = async (files: File[]) => {
    const file = files[0];
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      setReport(await desk.verify({ path: await deskPath(file) }));
    } catch (e) {
      setReport(null);
      setError(message(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="verify-h">
      <h2 id="verify-h">Verify</h2>
      <DropZone label="Drop any copy to verify it" onFiles={(f) => void verify(f)} busy={busy} />
      {error && <p role="alert">{error}</p>}
      {report && (
        <div className={`card verdict ${report.verdict}`} data-testid="verdict">
          <h3>{VERDICT_TEXT[report.verdict]}</h3>
          <p>Confidence {Math.round(report.confidence * 100)} %{report.recordId ? `, record ${report.recordId}` : ''}</p>
          <table>
            <tbody>
              {Object.entries(report.checks).map(([name, c]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td className={`status ${c.status}`}>{c.status}</td>
                  <td>{c.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Library({ items }: { items: Items }) {
  return (
    <section aria-labelledby="lib-h">
      <h2 id="lib-h">Library</h2>
      {items.length === 0 ? <p>No signed items yet.</p> : (
        <table>
          <thead><tr><th>Item</th><th>Signed</th><th>Record</th></tr></thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id}><td>{r.inputName}</td><td>{new Date(r.signedAt).toLocaleString()}</td><td><code>{r.id}</code></td></tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function App() {
  const [info, setInfo] = useState<Info | null>(null);
  const [items, setItems] = useState<Items>([]);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => {
    desk.info({}).then(setInfo, (e: unknown) => setError(message(e)));
    desk.items({ limit: 200 }).then(setItems, () => undefined);
  }, []);
  useEffect(refresh, [refresh]);
  return (
    <main>
      <header>
        <h1>Custody</h1>
        {info && <span>{info.org} · {info.unlocked ? 'keys unlocked' : 'keys locked'}</span>}
      </header>
      {error && <p role="alert">{error}</p>}
      {info && !info.unlocked && <Unlock onDone={refresh} />}
      <Sign onSigned={refresh} />
      <Verify />
      <Library items={items} />
    </main>
  );
}
