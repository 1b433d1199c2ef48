// Approvals: the items waiting for this user's roles (or every item in the workflow), and the selected item with
// its history and exactly the actions the workflow allows.
import { useState } from 'react';
import { desk } from '../api.ts';
import { Alert } from '../components/Alert.tsx';
import { ItemDetail } from '../components/ItemDetail.tsx';
import { StateBadge } from '../components/StateBadge.tsx';
import { Thumb } from '../components/Thumb.tsx';
import { EVENT_LABEL, dateTime } from '../format.ts';
import { go, useLoad } from '../hooks.ts';

export function Approvals({ selected, singleUser, onChanged }: { selected: string | null; singleUser: boolean; onChanged: () => void }) {
  const [scope, setScope] = useState<'mine' | 'all'>('mine');
  const queue = useLoad(() => desk.queue({ scope }), [scope], { pollMs: 15_000 });
  const changed = () => {
    queue.reload();
    onChanged();
  };
  return (
    <section aria-labelledby="appr-h" className={`screen split${selected ? ' has-detail' : ''}`}>
      <div className="list-pane">
        <h1 id="appr-h" tabIndex={-1}>Approvals</h1>
        {singleUser && (
          <p className="note info">This desk has no users yet, so nobody can approve anyone else's work. Add users in Settings to use approvals.</p>
        )}
        <div className="tabs" role="tablist" aria-label="Which items">
          <button role="tab" aria-selected={scope === 'mine'} onClick={() => setScope('mine')}>Waiting for me</button>
          <button role="tab" aria-selected={scope === 'all'} onClick={() => setScope('all')}>All in workflow</button>
        </div>
        <Alert text={queue.error} />
        {queue.data?.length === 0 && <p className="muted">{scope === 'mine' ? 'Nothing is waiting for you.' : 'No item is in the workflow yet.'}</p>}
        <ul className="queue" aria-label="Queue">
          {queue.data?.map(({ item, status }) => {
            const last = status.history.at(-1);
            return (
              <li key={item.id}>
                <a href={`#/approvals/${item.id}`} className={`queue-row${selected === item.id ? ' selected' : ''}`} data-testid="queue-item">
                  <Thumb id={item.id} alt="" size={96} kind={item.kind} />
                  <span className="queue-body">
                    <strong>{item.inputName}</strong>
                    <StateBadge state={status.state} stage={status.stage} />
                    {last && (
                      <small className="muted">
                        {EVENT_LABEL[last.event]} by {last.actor}, {dateTime(last.at)}
                      </small>
                    )}
                  </span>
                </a>
              </li>
            );
          })}
        </ul>
      </div>
      {selected && (
        <div className="detail-pane">
          <ItemDetail id={selected} onChanged={changed} onClose={() => go('approvals')} />
        </div>
      )}
    </section>
  );
}
