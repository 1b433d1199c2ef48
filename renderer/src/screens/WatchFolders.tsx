// Watch folders: hot folders this desk signs from (a photographer's card, a wire drop). Add and remove them, start
// and stop them, and see each file as it is signed or set aside, live.
import { useState, type FormEvent } from 'react';
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { desk, errorText } from '../api.ts';
import { Alert } from '../components/Alert.tsx';
import { FolderPicker } from '../components/FolderPicker.tsx';
import { baseName, dateTime } from '../format.ts';
import { useLoad } from '../hooks.ts';

type Folder = DeskResult<'watchFolders'>[number];

const STATUS_TEXT: Record<Folder['status'], string> = { running: 'Watching', elsewhere: 'Watched by another process', stopped: 'Stopped' };
const JOB_TEXT: Record<string, string> = { done: 'signed', rejected: 'set aside', duplicate: 'duplicates', claimed: 'in flight', staged: 'in flight', signed: 'in flight', placing: 'in flight', released: 'released' };

export function WatchFolders({ nativeDialogs, canManage }: { nativeDialogs: boolean; canManage: boolean }) {
  const folders = useLoad(() => desk.watchFolders({}), [], { pollMs: 2000 });
  const [error, setError] = useState<string | null>(null);
  const act = (p: Promise<unknown>) => p.then(folders.reload, (e: unknown) => setError(errorText(e)));
  return (
    <section aria-labelledby="watch-h" className="screen">
      <h1 id="watch-h" tabIndex={-1}>Watch folders</h1>
      <p className="lead">Everything that lands in a watched folder is signed: signed copies and receipts go to its output folder, originals to <code>originals/</code>, and files that cannot be signed to <code>rejected/</code> with a note.</p>
      {canManage && <AddFolder nativeDialogs={nativeDialogs} onAdded={folders.reload} />}
      <Alert text={error ?? folders.error} />
      {folders.data?.length === 0 && <p className="muted">No watched folders yet.</p>}
      <ul className="folders">
        {folders.data?.map((f) => (
          <li key={f.id} className={`card folder ${f.status}`} data-testid="watch-folder">
            <header>
              <h3>{f.path}</h3>
              <span className={`badge watch-${f.status}`}>{STATUS_TEXT[f.status]}{f.heldBy ? ` (${f.heldBy})` : ''}</span>
            </header>
            <p className="muted">
              → {f.outDir}
              {f.workflowTemplate ? ` · workflow ${f.workflowTemplate}` : ''}
              {f.classification ? ` · classification ${f.classification}` : ''}
              {f.flags.length ? ` · flags ${f.flags.join(', ')}` : ''}
            </p>
            <p className="counts">{counts(f.jobs) || 'No files yet.'}</p>
            {f.problem && <p className="note error">{f.problem.code}: {f.problem.message}</p>}
            {f.recent.length > 0 && (
              <ol className="recent" aria-label={`Recent files in ${f.path}`}>
                {f.recent.slice(0, 8).map((r) => (
                  <li key={`${r.at}-${r.path}`} className={`recent-${r.status}`}>
                    <time dateTime={r.at}>{dateTime(r.at)}</time> {baseName(r.path)}: {r.status === 'signed' ? `signed (${r.recordId})` : `${r.status}: ${r.error?.message ?? ''}`}
                  </li>
                ))}
              </ol>
            )}
            {canManage && (
              <div className="buttons">
                {f.status === 'running' && <button onClick={() => void act(desk.watchStop({ id: f.id }))}>Stop</button>}
                {f.status === 'stopped' && <button onClick={() => void act(desk.watchStart({ id: f.id }))}>Start</button>}
                <button className="danger" disabled={f.status === 'elsewhere'} onClick={() => void act(desk.watchRemove({ id: f.id }))}>Remove</button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function counts(jobs: Record<string, number>): string {
  const merged: Record<string, number> = {};
  for (const [state, n] of Object.entries(jobs)) merged[JOB_TEXT[state] ?? state] = (merged[JOB_TEXT[state] ?? state] ?? 0) + n;
  return Object.entries(merged).map(([k, n]) => `${n} ${k}`).join(' · ');
}

function AddFolder({ nativeDialogs, onAdded }: { nativeDialogs: boolean; onAdded: () => void }) {
  const [path, setPath] = useState('');
  const [outDir, setOutDir] = useState('');
  const [template, setTemplate] = useState('');
  const [start, setStart] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const templates = useLoad(() => desk.templates({}), []);
  // Example paths of the machine the desk runs on (under the first allowed root, else the user's Pictures).
  const roots = useLoad(() => desk.folderList({}), []);
  const examples = roots.data?.examples;
  // The desktop app asks the OS's own dialog; web mode browses the allowed roots on the desk (FolderPicker).
  const [picking, setPicking] = useState<'watch' | 'output' | null>(null);
  const setters = { watch: setPath, output: setOutDir };
  const browse = (purpose: 'watch' | 'output') => {
    if (nativeDialogs) void desk.pickFolder({ purpose }).then((r) => r.path && setters[purpose](r.path), (err: unknown) => setError(errorText(err)));
    else setPicking(purpose);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    desk
      .watchAdd({ path: path.trim(), outDir: outDir.trim(), start, ...(template ? { workflowTemplate: template } : {}) })
      .then(() => {
        setPath('');
        setOutDir('');
        onAdded();
      }, (err: unknown) => setError(errorText(err)))
      .finally(() => setBusy(false));
  };
  return (
    <form className="card add-folder" onSubmit={submit} aria-label="Add a watched folder">
      <h2>Add a folder</h2>
      <div className="row">
        <label>
          Folder to watch
          <input value={path} required onChange={(e) => setPath(e.target.value)} placeholder={examples?.watch ?? ''} />
        </label>
        <button type="button" aria-label="Choose folder… for watching" onClick={() => browse('watch')}>Choose folder…</button>
        <label>
          Output folder
          <input value={outDir} required onChange={(e) => setOutDir(e.target.value)} placeholder={examples?.output ?? ''} />
        </label>
        <button type="button" aria-label="Choose folder… for signed copies" onClick={() => browse('output')}>Choose folder…</button>
      </div>
      {picking && (
        <FolderPicker
          title={picking === 'watch' ? 'Folder to watch' : 'Output folder for signed copies'}
          onClose={() => setPicking(null)}
          onPick={(p) => {
            setters[picking](p);
            setPicking(null);
          }}
        />
      )}
      <div className="row">
        <label>
          Workflow template
          <select value={template} onChange={(e) => setTemplate(e.target.value)}>
            <option value="">No workflow</option>
            {templates.data?.map((t) => <option key={t.template.name} value={t.template.name}>{t.template.name}</option>)}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={start} onChange={(e) => setStart(e.target.checked)} /> Start watching now
        </label>
      </div>
      <button type="submit" className="primary" disabled={busy}>Add folder</button>
      <Alert text={error} />
    </form>
  );
}
