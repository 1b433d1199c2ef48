// A workflow state as a coloured pill, with the stage when an item is in review.
import { STATE_LABEL, type WorkflowState } from '../format.ts';

export function StateBadge({ state, stage }: { state: WorkflowState | 'unsubmitted'; stage?: string | null }) {
  return (
    <span className={`badge state-${state}`}>
      {STATE_LABEL[state]}
      {stage ? ` · ${stage}` : ''}
    </span>
  );
}
