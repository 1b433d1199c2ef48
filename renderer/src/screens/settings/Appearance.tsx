// Light, dark, or the system's choice.
import { THEME_LABELS, useTheme, type ThemeChoice } from '../../theme.ts';

export function Appearance() {
  const [theme, setTheme] = useTheme();
  return (
    <fieldset className="card">
      <legend>Theme</legend>
      {(['system', 'light', 'dark'] as ThemeChoice[]).map((t) => (
        <label key={t} className="check">
          <input type="radio" name="theme" value={t} checked={theme === t} onChange={() => setTheme(t)} /> {THEME_LABELS[t]}
        </label>
      ))}
    </fieldset>
  );
}
