// Exactly the actions the workflow allows this user now (the machine's can(), which the desk enforces), and nothing
// else. The item's one comment box (ItemDetail) gives the reason a review carries.
import { useState } from 'react';
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { desk, errorText } from '../api.ts';
import { ACTION_LABEL } from '../format.ts';
import { Alert } from './Alert.tsx';
import { SubmitForm } from './SubmitForm.tsx';

type Status = DeskResult<'item'>['workflow'];

export function WorkflowActions({ status, comment, onDone }: { status: Status; comment: string; onDone: (message: string, usedComment: boolean) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = status.item;
  const can = status.can;

  const run = async (label: string, act: () => Promise<unknown>, usesComment = true) => {
    setBusy(true);
    setError(null);
    try {
      await act();
      onDone(label, usesComment);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  if (can.length === 0) {
    return <p className="muted" data-testid="no-actions">Nothing for you to do on this item now.</p>;
  }
  const c = comment.trim();
  const needsReason = can.includes('reject') || can.includes('request-changes');
  return (
    <div className="actions" data-testid="actions">
      {can.includes('submit') && <SubmitForm mode="submit" busy={busy} onSubmit={(v) => void run('Submitted for approval', () => desk.submit({ id, ...v }), false)} />}
      {can.includes('resubmit') && <SubmitForm mode="resubmit" busy={busy} onSubmit={(v) => void run('Resubmitted', () => desk.resubmit({ id, ...v }), false)} />}
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
        {can.includes('publish') && (
          <button className="primary" disabled={busy} onClick={() => void run('Published', () => desk.publish({ id }), false)}>
            {ACTION_LABEL.publish}
          </button>
        )}
      </div>
      {needsReason && !c && <p className="muted small">Rejecting or requesting changes needs a comment saying why (the comment box below).</p>}
      <Alert text={error} />
    </div>
  );
}
