// The colour theme: the system's by default, or light or dark by choice (kept in this browser/app profile). Every
// control showing the choice (the header's, Settings → Appearance) follows a change made in any of them.
import { useCallback, useEffect, useState } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'custody.theme';
const shown = new Set<(t: ThemeChoice) => void>();

const stored = (): ThemeChoice => {
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
};

export function applyTheme(t: ThemeChoice = stored()): void {
  if (t === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
}

export function useTheme(): [ThemeChoice, (t: ThemeChoice) => void] {
  const [theme, show] = useState<ThemeChoice>(stored);
  useEffect(() => {
    shown.add(show);
    return () => void shown.delete(show);
  }, []);
  const choose = useCallback((t: ThemeChoice) => {
    if (t === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, t);
    applyTheme(t);
    for (const s of shown) s(t);
  }, []);
  return [theme, choose];
}

export const THEME_LABELS: Record<ThemeChoice, string> = { system: 'As the system', light: 'Light', dark: 'Dark' };

