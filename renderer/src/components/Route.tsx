// The stages an item goes through, with where it is now and who approved each one done.
import type { DeskResult } from '../../../core/api/desk-api.ts';

type Status = DeskResult<'item'>['workflow'];

export function Route({ status }: { status: Status }) {
  const at = status.stage ? status.route.indexOf(status.stage) : status.state === 'approved' || status.state === 'published' ? status.route.length : -1;
  return (
    <ol className="route" aria-label="Approval stages">
      {status.route.map((stage, i) => {
        const by = status.approvals.filter((a) => a.stage === stage).map((a) => a.by);
        const state = i < at ? 'done' : i === at ? 'current' : 'todo';
        return (
          <li key={stage} className={`stage ${state}`} aria-current={state === 'current' ? 'step' : undefined}>
            <span className="dot" aria-hidden="true">{state === 'done' ? '✓' : i + 1}</span>
            <span>
              {stage}
              {by.length > 0 && <small> by {by.join(', ')}</small>}
              {state === 'current' && <small> waiting</small>}
            </span>
          </li>
        );
      })}
      <li className={`stage ${status.state === 'published' ? 'done' : 'todo'}`}>
        <span className="dot" aria-hidden="true">{status.state === 'published' ? '✓' : '★'}</span>
        <span>published</span>
      </li>
    </ol>
  );
}
