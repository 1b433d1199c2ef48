// Library: every signed item with its preview, searchable by name, date and workflow status; an item opens beside
// the list with its detail and the actions the workflow allows.
import { useEffect, useState } from 'react';
import type { DeskArgs } from '../../../core/api/desk-api.ts';
import { desk } from '../api.ts';
import { Alert } from '../components/Alert.tsx';
import { ItemDetail } from '../components/ItemDetail.tsx';
import { StateBadge } from '../components/StateBadge.tsx';
import { Thumb } from '../components/Thumb.tsx';
import { STATE_LABEL, dateTime, plural } from '../format.ts';
import { go, useLoad } from '../hooks.ts';

type Filter = DeskArgs<'items'>;
type StateFilter = NonNullable<Filter['state']>;

export function Library({ selected }: { selected: string | null }) {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [state, setState] = useState<StateFilter | ''>('');
  // Typing settles for a moment before the desk is asked.
  useEffect(() => {
    const t = setTimeout(() => setQuery(search), 200);
    return () => clearTimeout(t);
  }, [search]);
  const filter: Filter = { limit: 500, ...(query ? { search: query } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}), ...(state ? { state } : {}) };
  const items = useLoad(() => desk.items(filter), [query, from, to, state]);

  return (
    <section aria-labelledby="lib-h" className={`screen split${selected ? ' has-detail' : ''}`}>
      <div className="list-pane">
        <h1 id="lib-h" tabIndex={-1}>Library</h1>
        <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <label>
            Search
            <input type="search" placeholder="File name or record id" value={search} onChange={(e) => setSearch(e.target.value)} />
          </label>
          <label>
            From
            <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label>
            To
            <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <label>
            Status
            <select value={state} onChange={(e) => setState(e.target.value as StateFilter | '')}>
              <option value="">Any</option>
              {(Object.keys(STATE_LABEL) as StateFilter[]).filter((s) => s !== 'draft').map((s) => (
                <option key={s} value={s}>{STATE_LABEL[s]}</option>
              ))}
            </select>
          </label>
        </form>
        <Alert text={items.error} />
        {items.data && (
          <p className="muted" role="status">
            {items.data.length === 0 ? (query || from || to || state ? 'No items match.' : 'No signed items yet: sign some photos first.') : plural(items.data.length, 'item')}
          </p>
        )}
        <ul className="grid" aria-label="Signed items">
          {items.data?.map((r) => (
            <li key={r.id}>
              <a
                href={`#/library/${r.id}`}
                className={`tile${selected === r.id ? ' selected' : ''}`}
                aria-current={selected === r.id ? 'true' : undefined}
                data-testid="library-item"
              >
                <Thumb id={r.id} alt="" kind={r.kind} />
                <span className="tile-name">{r.inputName}</span>
                <span className="tile-meta">{dateTime(r.signedAt)}</span>
                <StateBadge state={r.workflow?.state ?? 'unsubmitted'} stage={r.workflow?.stage ?? null} />
              </a>
            </li>
          ))}
        </ul>
      </div>
      {selected && (
        <div className="detail-pane">
          <ItemDetail id={selected} onChanged={items.reload} onClose={() => go('library')} />
        </div>
      )}
    </section>
  );
}
