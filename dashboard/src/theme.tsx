import { useState } from 'preact/hooks';

type Theme = 'system' | 'light' | 'dark';
const KEY = 'gatehouse.theme';

function apply(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset['theme'];
  else document.documentElement.dataset['theme'] = theme;
}

apply((localStorage.getItem(KEY) as Theme | null) ?? 'system');

/** Light, dark, or the system's choice; remembered on this browser. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem(KEY) as Theme | null) ?? 'system');
  const next: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' };
  return (
    <button
      type="button"
      title="Colour scheme"
      onClick={() => {
        const t = next[theme];
        localStorage.setItem(KEY, t);
        apply(t);
        setTheme(t);
      }}
    >
      Theme: {theme}
    </button>
  );
}
