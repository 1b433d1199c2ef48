// The Library's filters, its sort, and the user's saved views ("Waiting for me" and any filter saved under a name),
// which the desk keeps per user (DeskApi viewPrefs).
import { useState, type FormEvent } from 'react';
import type { DeskResult } from '../../../core/api/desk-api.ts';
import { STATE_LABEL } from '../format.ts';
import { ANCHOR_LABEL } from './AnchorBadge.tsx';

type Prefs = DeskResult<'viewPrefs'>;
export type SavedView = Prefs['views'][number];
export type Sort = Prefs['sort'];
export type Filter = Omit<SavedView, 'name'>;

const SORTS: readonly [Sort, string][] = [['date-desc', 'Newest first'], ['date-asc', 'Oldest first'], ['name', 'Name'], ['state', 'Status']];

/** A view and a filter are the same when every field they set agrees (unset and empty are one). */
export const sameFilter = (a: Filter, b: Filter): boolean =>
  (['search', 'state', 'from', 'to', 'anchor'] as const).every((k) => (a[k] ?? '') === (b[k] ?? '')) && (a.waitingForMe ?? false) === (b.waitingForMe ?? false);

export const filterOf = ({ name: _, ...f }: SavedView): Filter => f;

export function LibraryFilters({ filter, onFilter, sort, onSort, views, onViews }: {
  filter: Filter;
  onFilter: (f: Filter) => void;
  sort: Sort;
  onSort: (s: Sort) => void;
  views: readonly SavedView[];
  onViews: (v: SavedView[]) => void;
}) {
  const [naming, setNaming] = useState('');
  const set = (patch: Partial<Filter>) => {
    const next: Filter = { ...filter, ...patch };
    for (const k of Object.keys(next) as (keyof Filter)[]) if (next[k] === '' || next[k] === false || next[k] === undefined) delete next[k];
    onFilter(next);
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    const name = naming.trim();
    if (!name) return;
    onViews([...views.filter((v) => v.name.toLowerCase() !== name.toLowerCase()), { name, ...filter }]);
    setNaming('');
  };
  const any = Object.keys(filter).length > 0;
  return (
    <>
      <div className="views" role="group" aria-label="Saved views">
        <button aria-pressed={!any} onClick={() => onFilter({})}>All</button>
        {views.map((v) => (
          <span key={v.name} className="view-chip">
            <button aria-pressed={sameFilter(filterOf(v), filter)} onClick={() => onFilter(filterOf(v))}>{v.name}</button>
            <button className="ghost x" aria-label={`Remove the view ${v.name}`} onClick={() => onViews(views.filter((x) => x !== v))}>×</button>
          </span>
        ))}
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" placeholder="File name or record id" value={filter.search ?? ''} onChange={(e) => set({ search: e.target.value })} />
        </label>
        <label>
          From
          <input type="date" value={filter.from ?? ''} onChange={(e) => set({ from: e.target.value })} />
        </label>
        <label>
          To
          <input type="date" value={filter.to ?? ''} onChange={(e) => set({ to: e.target.value })} />
        </label>
        <label>
          Status
          <select value={filter.state ?? ''} onChange={(e) => set({ state: e.target.value })}>
            <option value="">Any</option>
            {(Object.keys(STATE_LABEL) as (keyof typeof STATE_LABEL)[]).filter((s) => s !== 'draft').map((s) => (
              <option key={s} value={s}>{STATE_LABEL[s]}</option>
            ))}
          </select>
        </label>
        <label>
          Anchoring
          <select value={filter.anchor ?? ''} onChange={(e) => set({ anchor: (e.target.value || undefined) as Filter['anchor'] })}>
            <option value="">Any</option>
            {(Object.keys(ANCHOR_LABEL) as (keyof typeof ANCHOR_LABEL)[]).map((s) => <option key={s} value={s}>{ANCHOR_LABEL[s]}</option>)}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={filter.waitingForMe ?? false} onChange={(e) => set({ waitingForMe: e.target.checked })} /> Waiting for me
        </label>
        <label>
          Sort
          <select value={sort} onChange={(e) => onSort(e.target.value as Sort)}>
            {SORTS.map(([s, label]) => <option key={s} value={s}>{label}</option>)}
          </select>
        </label>
      </form>
      {any && !views.some((v) => sameFilter(filterOf(v), filter)) && (
        <form className="save-view" onSubmit={save}>
          <label>
            Save this filter as
            <input value={naming} placeholder="e.g. Harbour shoot" maxLength={60} onChange={(e) => setNaming(e.target.value)} />
          </label>
          <button type="submit" disabled={!naming.trim()}>Save view</button>
        </form>
      )}
    </>
  );
}
