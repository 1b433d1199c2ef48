// Exactly the actions the workflow allows this user now (the machine's can()), and nothing else.
import { useState } from 'react';
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { desk, errorText } from '../api.ts';
import { ACTION_LABEL, type EventName } from '../format.ts';
import { Alert } from './Alert.tsx';
import { SubmitForm } from './SubmitForm.tsx';

type Status = DeskResult<'item'>['workflow'];

const NEEDS_COMMENT: readonly EventName[] = ['reject', 'request-changes'];

export function WorkflowActions({ status, onDone }: { status: Status; onDone: (message: string) => void }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = status.item;
  const can = status.can;

  const run = async (label: string, act: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await act();
      setComment('');
      onDone(label);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  if (can.length === 0) {
    return <p className="muted" data-testid="no-actions">Nothing for you to do on this item now.</p>;
  }
  const commentActions = can.filter((e) => e === 'approve' || e === 'reject' || e === 'request-changes' || e === 'withdraw');
  const c = comment.trim();
  return (
    <div className="actions" data-testid="actions">
      {can.includes('submit') && <SubmitForm mode="submit" busy={busy} onSubmit={(v) => void run('Submitted for approval', () => desk.submit({ id, ...v }))} />}
      {can.includes('resubmit') && <SubmitForm mode="resubmit" busy={busy} onSubmit={(v) => void run('Resubmitted', () => desk.resubmit({ id, ...v }))} />}
      {commentActions.length > 0 && (
        <div className="review">
          <label>
            Comment{commentActions.some((e) => NEEDS_COMMENT.includes(e)) ? ' (required to reject or request changes)' : ''}
            <textarea rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
          </label>
          <div className="buttons">
            {can.includes('approve') && (
              <button className="primary" disabled={busy} onClick={() => void run(`Approved${status.stage ? ` at ${status.stage}` : ''}`, () => desk.approve({ id, comment: c || null }))}>
                {ACTION_LABEL.approve}
                {status.stage ? ` (${status.stage})` : ''}
              </button>
            )}
            {can.includes('request-changes') && (
              <button disabled={busy || !c} onClick={() => void run('Changes requested', () => desk.requestChanges({ id, comment: c }))}>
                {ACTION_LABEL['request-changes']}
              </button>
            )}
            {can.includes('reject') && (
              <button className="danger" disabled={busy || !c} onClick={() => void run('Rejected', () => desk.reject({ id, comment: c }))}>
                {ACTION_LABEL.reject}
              </button>
            )}
            {can.includes('withdraw') && (
              <button disabled={busy} onClick={() => void run('Withdrawn', () => desk.withdraw({ id, comment: c || null }))}>
                {ACTION_LABEL.withdraw}
              </button>
            )}
          </div>
        </div>
      )}
      {can.includes('publish') && (
        <button className="primary" disabled={busy} onClick={() => void run('Published', () => desk.publish({ id }))}>
          {ACTION_LABEL.publish}
        </button>
      )}
      <Alert text={error} />
    </div>
  );
}
