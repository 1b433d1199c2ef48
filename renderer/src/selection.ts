// The Library's multiple selection, as file browsers and Photo Mechanic do it: a click selects one, Ctrl/Cmd-click
// toggles one, Shift-click selects the range from the last clicked; "select all" takes everything the filter shows.
import { useCallback, useState } from 'react';

export interface Selection {
  ids: ReadonlySet<string>;
  click(id: string, e: { shiftKey: boolean; ctrlKey: boolean; metaKey: boolean }): void;
  /** Moves to `id` from the keyboard: alone, or extending the range with Shift. */
  moveTo(id: string, extend: boolean): void;
  all(): void;
  clear(): void;
  /** Keeps only ids still shown (after a filter change). */
  keep(shown: readonly string[]): void;
}

export function useSelection(order: readonly string[]): Selection {
  const [ids, setIds] = useState<ReadonlySet<string>>(new Set());
  const [anchor, setAnchor] = useState<string | null>(null);
  const range = useCallback(
    (from: string | null, to: string): string[] => {
      const a = from ? order.indexOf(from) : -1;
      const b = order.indexOf(to);
      if (a < 0 || b < 0) return [to];
      return order.slice(Math.min(a, b), Math.max(a, b) + 1);
    },
    [order],
  );
  return {
    ids,
    click(id, e) {
      if (e.shiftKey) setIds(new Set(range(anchor, id)));
      else if (e.ctrlKey || e.metaKey) {
        setIds((s) => {
          const n = new Set(s);
          if (n.has(id)) n.delete(id);
          else n.add(id);
          return n;
        });
        setAnchor(id);
      } else {
        setIds(new Set([id]));
        setAnchor(id);
      }
    },
    moveTo(id, extend) {
      if (extend) setIds(new Set(range(anchor, id)));
      else {
        setIds(new Set([id]));
        setAnchor(id);
      }
    },
    all: () => setIds(new Set(order)),
    clear: () => setIds(new Set()),
    keep(shown) {
      setIds((s) => {
        const n = new Set([...s].filter((x) => shown.includes(x)));
        return n.size === s.size ? s : n;
      });
    },
  };
}
