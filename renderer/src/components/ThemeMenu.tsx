// The header's theme menu: light, dark or the system's, beside Settings → Appearance and in step with it.
import { THEME_LABELS, useTheme, type ThemeChoice } from '../theme.ts';

/** Everyone may pick one, a viewer and a visitor without an account included. */
export function ThemeMenu() {
  const [theme, choose] = useTheme();
  return (
    <select className="theme-menu" aria-label="Theme" value={theme} onChange={(e) => choose(e.target.value as ThemeChoice)}>
      {(Object.keys(THEME_LABELS) as ThemeChoice[]).map((t) => <option key={t} value={t}>{t === 'system' ? 'Theme: system' : `Theme: ${THEME_LABELS[t].toLowerCase()}`}</option>)}
    </select>
  );
}
