import { useState } from 'preact/hooks';

type Theme = 'system' | 'light' | 'dark';
const KEY = 'gatehouse.theme';

const systemDark = matchMedia('(prefers-color-scheme: dark)');
let chosen: Theme = (localStorage.getItem(KEY) as Theme | null) ?? 'system';

/**
 * The page always carries `data-theme="light"` or `"dark"`, so the stylesheet defines each scheme
 * once; "system" follows the OS preference, also when it changes while the page is open.
 */
function apply(theme: Theme): void {
  chosen = theme;
  const dark = theme === 'dark' || (theme === 'system' && systemDark.matches);
  document.documentElement.dataset['theme'] = dark ? 'dark' : 'light';
}

systemDark.addEventListener('change', () => apply(chosen));
apply(chosen);

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
