// What to do with the selected items: the workflow actions the policy lets this user's roles take (the desk then
// authorizes each item on its own and answers item by item), and the files as one ZIP. The results list what
// failed and why; the rest went through.
import { useState } from 'react';
import type { DeskArgs, DeskResult } from '../../../core/api/desk-api.ts';
import { desk, downloadZip, errorText, isElectron } from '../api.ts';
import { plural } from '../format.ts';
import type { May } from '../may.ts';
import { Alert } from './Alert.tsx';

type Action = DeskArgs<'bulk'>['action'];
type Outcome = { label: string; ok: number; failed: { id: string; message: string }[] };

const ACTIONS: readonly [Action, string, string][] = [
  ['submit', 'Submit', 'Submitted'],
  ['approve', 'Approve', 'Approved'],
  ['requestChanges', 'Request changes', 'Changes requested'],
  ['reject', 'Reject', 'Rejected'],
  ['withdraw', 'Withdraw', 'Withdrawn'],
  ['publish', 'Publish', 'Published'],
];
const NEEDS_REASON: readonly Action[] = ['reject', 'requestChanges'];

export function BulkBar({ ids, names, total, may, onSelectAll, onClear, onDone }: {
  ids: readonly string[];
  names: ReadonlyMap<string, string>;
  total: number;
  may: May;
  onSelectAll: () => void;
  onClear: () => void;
  onDone: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  const name = (id: string) => names.get(id) ?? id;

  const run = async (action: Action, done: string) => {
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      const r: DeskResult<'bulk'> = await desk.bulk({ action, ids: [...ids], ...(reason.trim() ? { comment: reason.trim() } : {}) });
      const failed = r.results.flatMap((x) => (x.ok ? [] : [{ id: x.id, message: x.message }]));
      setOutcome({ label: done, ok: r.results.length - failed.length, failed });
      if (failed.length < r.results.length) setReason('');
      onDone();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const zip = async () => {
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      const r = await downloadZip(ids);
      // A cancelled save dialog (desktop app) leaves nothing to report, unless items were refused.
      if (r.saved === null && r.included.length > 0) return;
      setOutcome({ label: isElectron && r.saved ? `In the ZIP (${r.saved})` : 'In the ZIP', ok: r.saved === null ? 0 : r.included.length, failed: r.refused.map((x) => ({ id: x.id, message: x.message })) });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const offered = ACTIONS.filter(([a]) => may(a));
  const r = reason.trim();
  return (
    <div className="bulk" role="region" aria-label="Selected items" data-testid="bulk-bar">
      <div className="bulk-row">
        <strong data-testid="selected-count">{plural(ids.length, 'selected', 'selected')}</strong>
        {ids.length < total && <button className="link" onClick={onSelectAll}>Select all {total}</button>}
        <button className="link" onClick={onClear}>Clear</button>
        <span className="spacer" />
        {offered.map(([action, label, done]) => (
          <button
            key={action}
            className={action === 'approve' ? 'primary' : action === 'reject' ? 'danger' : ''}
            disabled={busy || (NEEDS_REASON.includes(action) && !r)}
            title={NEEDS_REASON.includes(action) && !r ? 'Give a reason first' : undefined}
            onClick={() => void run(action, done)}
          >
            {label}
          </button>
        ))}
        {may('fileDownload') && <button disabled={busy} onClick={() => void zip()}>{isElectron ? 'Save as ZIP…' : 'Download ZIP'}</button>}
      </div>
      {offered.some(([a]) => a !== 'submit') && (
        <label className="bulk-reason">
          Comment for all (required to reject or request changes)
          <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
      )}
      <Alert text={error} />
      {outcome && (
        <div className={`note ${outcome.failed.length ? 'info' : 'ok'}`} role="status" data-testid="bulk-results">
          {outcome.label}: {outcome.ok} of {outcome.ok + outcome.failed.length}.
          {outcome.failed.length > 0 && (
            <ul className="bulk-failed">
              {outcome.failed.map((f) => (
                <li key={f.id} data-testid="bulk-failed"><strong>{name(f.id)}</strong>: {f.message}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
