// Library: every signed item with its preview, workflow state and anchoring state; filtered, sorted and saved as
// views per user; many selected at once for bulk work; driven from the keyboard as a picture desk expects (arrows
// move, Shift+arrows extend, Space zooms the loupe to 100 %, Ctrl/Cmd+A selects everything shown, Escape backs out).
import { useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import type { DeskArgs, DeskResult } from '../../../core/api/desk-api.ts';
import { desk } from '../api.ts';
import { Alert } from '../components/Alert.tsx';
import { AnchorBadge } from '../components/AnchorBadge.tsx';
import { BulkBar } from '../components/BulkBar.tsx';
import { ItemDetail } from '../components/ItemDetail.tsx';
import { LibraryFilters, type Filter, type SavedView, type Sort } from '../components/LibraryFilters.tsx';
import { StateBadge } from '../components/StateBadge.tsx';
import { Thumb } from '../components/Thumb.tsx';
import { STATE_LABEL, dateTime, plural } from '../format.ts';
import { go, useLoad } from '../hooks.ts';
import { useMay } from '../may.ts';
import { useSelection } from '../selection.ts';

type Item = DeskResult<'items'>[number];
type StateFilter = NonNullable<DeskArgs<'items'>['state']>;

const stateOf = (i: Item): string => i.workflow?.state ?? 'unsubmitted';
const COMPARE: Record<Sort, (a: Item, b: Item) => number> = {
  'date-desc': (a, b) => b.signedAt.localeCompare(a.signedAt),
  'date-asc': (a, b) => a.signedAt.localeCompare(b.signedAt),
  name: (a, b) => a.inputName.localeCompare(b.inputName, undefined, { numeric: true, sensitivity: 'base' }),
  state: (a, b) => stateOf(a).localeCompare(stateOf(b)) || b.signedAt.localeCompare(a.signedAt),
};
const ARROWS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End']);

export function Library({ selected }: { selected: string | null }) {
  const { may } = useMay();
  const prefs = useLoad(() => desk.viewPrefs({}), []);
  const [sort, setSort] = useState<Sort | null>(null);
  const [views, setViews] = useState<SavedView[] | null>(null);
  const [filter, setFilter] = useState<Filter>({});
  const [query, setQuery] = useState('');
  const [zoomed, setZoomed] = useState(false);
  const list = useRef<HTMLUListElement>(null);

  const currentSort = sort ?? prefs.data?.sort ?? 'date-desc';
  const currentViews = views ?? prefs.data?.views ?? [];
  const savePrefs = (s: Sort, v: SavedView[]) => {
    setSort(s);
    setViews(v);
    void desk.viewPrefsSet({ sort: s, views: v }).catch(() => undefined);
  };

  // Typing settles for a moment before the desk is asked.
  useEffect(() => {
    const t = setTimeout(() => setQuery(filter.search ?? ''), 200);
    return () => clearTimeout(t);
  }, [filter.search]);
  const state = filter.state && (filter.state === 'unsubmitted' || filter.state in STATE_LABEL) ? (filter.state as StateFilter) : undefined;
  const items = useLoad(
    () => desk.items({ limit: 2000, ...(query ? { search: query } : {}), ...(filter.from ? { from: filter.from } : {}), ...(filter.to ? { to: filter.to } : {}), ...(state ? { state } : {}), ...(filter.waitingForMe ? { waitingForMe: true } : {}) }),
    [query, filter.from, filter.to, state, filter.waitingForMe],
  );
  const shown = useMemo(
    () => (items.data ?? []).filter((i) => !filter.anchor || i.anchor.state === filter.anchor).sort(COMPARE[currentSort]),
    [items.data, filter.anchor, currentSort],
  );
  const order = useMemo(() => shown.map((i) => i.id), [shown]);
  const names = useMemo(() => new Map(shown.map((i) => [i.id, i.inputName])), [shown]);
  const sel = useSelection(order);
  const keepSelection = sel.keep;
  useEffect(() => keepSelection(order), [order, keepSelection]);
  useEffect(() => setZoomed(false), [selected]);

  // The keyboard, through a ref to the latest state so that one listener serves every render.
  const latest = useRef({ order, selected, sel, zoomed });
  latest.current = { order, selected, sel, zoomed };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t.closest('input, textarea, select, [contenteditable="true"], .loupe-view.zoomed')) return;
      const { order: ids, selected: cur, sel: s, zoomed: z } = latest.current;
      if (ARROWS.has(e.key) && ids.length > 0 && !e.altKey) {
        e.preventDefault();
        const i = cur ? ids.indexOf(cur) : -1;
        const cols = columns(list.current);
        const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols, Home: -ids.length, End: ids.length }[e.key] ?? 0;
        const next = ids[Math.max(0, Math.min(ids.length - 1, i < 0 ? 0 : i + step))]!;
        s.moveTo(next, e.shiftKey);
        go('library', next);
        focusTile(list.current, next);
      } else if (e.key === ' ' && cur && !t.closest('button, a')) {
        e.preventDefault();
        latest.current.zoomed = !z;
        setZoomed(!z);
      } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'a') {
        e.preventDefault();
        s.all();
      } else if (e.key === 'Escape') {
        if (z) setZoomed(false);
        else s.clear();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const click = (e: MouseEvent, id: string) => {
    e.preventDefault();
    sel.click(id, e);
    if (!e.ctrlKey && !e.metaKey) go('library', id);
  };
  const any = Object.keys(filter).length > 0;
  const picked = order.filter((id) => sel.ids.has(id));

  return (
    <section aria-labelledby="lib-h" className={`screen split library${selected ? ' has-detail' : ''}${zoomed ? ' zoomed' : ''}`}>
      <div className="list-pane">
        <h1 id="lib-h" tabIndex={-1}>Library</h1>
        <LibraryFilters
          filter={filter}
          onFilter={setFilter}
          sort={currentSort}
          onSort={(s) => savePrefs(s, currentViews)}
          views={currentViews}
          onViews={(v) => savePrefs(currentSort, v)}
        />
        <Alert text={items.error ?? prefs.error} />
        {items.data && (
          <p className="muted" role="status">
            {shown.length === 0 ? (any ? 'No items match.' : 'No signed items yet: sign some photos first.') : plural(shown.length, 'item')}
            {shown.length > 0 && picked.length < 2 && <span className="hint"> · Ctrl/⌘-click or Shift-click to select several, arrows to move, Space to zoom</span>}
          </p>
        )}
        {/* One selected item is the one open beside the list; the bar is for two and more. */}
        {picked.length > 1 && (
          <BulkBar ids={picked} names={names} total={shown.length} may={may} onSelectAll={sel.all} onClear={sel.clear} onDone={items.reload} />
        )}
        <ul className="grid" role="listbox" aria-multiselectable="true" aria-label="Signed items" ref={list}>
          {shown.map((r, i) => (
            <li
              key={r.id}
              role="option"
              aria-selected={sel.ids.has(r.id)}
              aria-current={selected === r.id ? 'true' : undefined}
              tabIndex={selected === r.id || (!selected && i === 0) ? 0 : -1}
              className={`tile${selected === r.id ? ' selected' : ''}${sel.ids.has(r.id) ? ' picked' : ''}`}
              data-testid="library-item"
              data-id={r.id}
              onClick={(e) => click(e, r.id)}
            >
              <Thumb id={r.id} alt="" kind={r.kind} />
              <span className="tile-name" title={r.inputName}>{r.inputName}</span>
              <span className="tile-meta">{dateTime(r.signedAt)}</span>
              <span className="tile-badges">
                <StateBadge state={r.workflow?.state ?? 'unsubmitted'} stage={r.workflow?.stage ?? null} />
                <AnchorBadge anchor={r.anchor} />
              </span>
            </li>
          ))}
        </ul>
      </div>
      {selected && (
        <div className="detail-pane">
          <ItemDetail id={selected} onChanged={items.reload} onClose={() => go('library')} zoomed={zoomed} onZoom={setZoomed} />
        </div>
      )}
    </section>
  );
}

/** How many tiles a row of the grid holds now (it reflows with the window). */
function columns(ul: HTMLUListElement | null): number {
  const tiles = ul ? [...ul.querySelectorAll<HTMLElement>('[role="option"]')] : [];
  if (tiles.length === 0) return 1;
  const top = tiles[0]!.offsetTop;
  return Math.max(1, tiles.filter((t) => t.offsetTop === top).length);
}

function focusTile(ul: HTMLUListElement | null, id: string): void {
  const el = ul?.querySelector<HTMLElement>(`[data-id="${id}"]`);
  el?.focus();
  el?.scrollIntoView({ block: 'nearest' });
}
