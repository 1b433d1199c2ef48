// Audit: the tamper-evident log with filters, the integrity check (chain, signatures, checkpoint, workflow replay),
// and export as JSON Lines (verifiable offline) or CSV.
import { useState } from 'react';
import type { DeskArgs, DeskResult } from '../../../core/api/desk-api.ts';
import { desk, download, errorText } from '../api.ts';
import { Alert } from '../components/Alert.tsx';
import { plural, shortHash, stamp } from '../format.ts';
import { useLoad } from '../hooks.ts';

type Entry = DeskResult<'auditList'>['entries'][number];
type Check = DeskResult<'auditVerify'>;

// Hashes and keys are what the export is for; on screen their first digits are enough to tell them apart.
const short = (v: unknown): string => {
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.replace(/\b[0-9a-f]{24,}\b/g, (h) => `${h.slice(0, 10)}…`);
};

const summary = (e: Entry): string =>
  Object.entries(e.details)
    .filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}: ${short(v)}`)
    .join(' · ')
    .slice(0, 200);

export function Audit() {
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [subject, setSubject] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [older, setOlder] = useState<Entry[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [check, setCheck] = useState<Check | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const filter: DeskArgs<'auditList'> = {
    limit: 100,
    ...(actor.trim() ? { actor: actor.trim() } : {}),
    ...(action ? { action } : {}),
    ...(subject.trim() ? { subject: subject.trim() } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
  const page = useLoad(async () => {
    const r = await desk.auditList(filter);
    setOlder([]);
    setNext(r.next);
    return r;
  }, [actor, action, subject, from, to]);

  const loadOlder = () => {
    if (next === null) return;
    desk.auditList({ ...filter, before: next }).then((r) => {
      setOlder((o) => [...o, ...r.entries]);
      setNext(r.next);
    }, (e: unknown) => setError(errorText(e)));
  };
  const verify = () => {
    setBusy(true);
    desk.auditVerify({}).then(setCheck, (e: unknown) => setError(errorText(e))).finally(() => setBusy(false));
  };
  const exportAs = (format: 'jsonl' | 'csv') =>
    desk.auditExport({ format }).then((r) => {
      download(r.content, r.filename, r.mime);
      page.reload();
    }, (e: unknown) => setError(errorText(e)));

  const entries = [...(page.data?.entries ?? []), ...older];
  const actions = page.data?.actions ?? [];
  const prefixes = [...new Set(actions.map((a) => `${a.split('.')[0]}.`))];
  return (
    <section aria-labelledby="audit-h" className="screen">
      <h1 id="audit-h" tabIndex={-1}>Audit log</h1>
      <div className="toolbar">
        <button className="primary" onClick={verify} disabled={busy}>{busy ? 'Checking…' : 'Check integrity'}</button>
        <button onClick={() => void exportAs('jsonl')}>Export JSON Lines</button>
        <button onClick={() => void exportAs('csv')}>Export CSV</button>
      </div>
      {check && <IntegrityReport check={check} />}
      <Alert text={error ?? page.error} />
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>Actor<input value={actor} onChange={(e) => setActor(e.target.value)} placeholder="user name" /></label>
        <label>
          Action
          <select value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="">Any</option>
            {prefixes.map((p) => <option key={p} value={p}>{p}*</option>)}
            {actions.map((a) => <option key={a} value={a}>{a}</option>)}
          </select>
        </label>
        <label>Subject<input value={subject} onChange={(e) => setSubject(e.target.value)} placeholder="record id, user…" /></label>
        <label>From<input type="date" value={from} onChange={(e) => setFrom(e.target.value)} /></label>
        <label>To<input type="date" value={to} onChange={(e) => setTo(e.target.value)} /></label>
      </form>
      {page.data && <p className="muted" role="status">Showing {plural(entries.length, 'entry', 'entries')} of {page.data.total}.</p>}
      <table className="audit">
        <thead>
          <tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Details</th><th scope="col">Sealed</th></tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.seq} data-testid="audit-row">
              <td>{e.seq}</td>
              <td className="nowrap"><time dateTime={e.at}>{stamp(e.at)}</time></td>
              <td>{e.actor}</td>
              <td><code>{e.action}</code></td>
              <td>{e.subject && <code>{e.subject}</code>}</td>
              <td className="details">{summary(e)}</td>
              <td title={e.signature ? `signed by ${e.keyId}` : 'written while the keys were locked; sealed at the next unlock'}>{e.signature ? '✓' : 'pending'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {next !== null && <button onClick={loadOlder}>Load older entries</button>}
    </section>
  );
}

function IntegrityReport({ check }: { check: Check }) {
  return (
    <div className={`card integrity ${check.ok ? 'ok' : 'bad'}`} role="status" data-testid="integrity">
      <h3>{check.ok ? 'The audit log is intact.' : 'The audit log has been altered.'}</h3>
      {check.firstBad ? (
        <p>First problem at entry {check.firstBad.seq}: {check.firstBad.message}</p>
      ) : (
        <p>
          {plural(check.entries, 'entry', 'entries')}, {check.sealed} signed
          {check.head ? `; head ${check.head.seq} ${shortHash(check.head.hash, 16)}` : ''}
          {check.checkpoint ? `, matching the checkpoint kept outside the database` : ''}.
        </p>
      )}
      {check.pending && <p>Entries {check.pending.from}–{check.pending.to} are chained but not yet signed: they are sealed the next time the keys are unlocked.</p>}
      <p>
        {check.workflow.problems.length === 0
          ? check.workflow.items === 1
            ? 'The workflow item replays to its stored state.'
            : `${plural(check.workflow.items, 'workflow item')} replay to their stored state.`
          : check.workflow.problems.map((p) => `${p.itemId}: ${p.problem}`).join(' ')}
      </p>
      {check.problems.length > 1 && (
        <ul>{check.problems.slice(1, 10).map((p) => <li key={`${p.seq}-${p.kind}`}>Entry {p.seq}: {p.message}</li>)}</ul>
      )}
    </div>
  );
}
