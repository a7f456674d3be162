// Light and dark themes follow the operating system unless the reader picks one; the pick is
// remembered on this device. The stylesheet does the rest through `color-scheme` and
// `light-dark()`, so a theme is one attribute on <html>.
import { useCallback, useEffect, useState } from 'react';

export type Theme = 'light' | 'dark';
const STORAGE_ITEM = 'attache.theme';
const DARK_QUERY = '(prefers-color-scheme: dark)';

function storedTheme(): Theme | null {
  try {
    const value = localStorage.getItem(STORAGE_ITEM);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

/** Applies the remembered theme before the first render, so the page does not flash. */
export function applyStoredTheme(): void {
  const theme = storedTheme();
  if (theme) document.documentElement.dataset.theme = theme;
}

export function useTheme(): { theme: Theme; toggle: () => void } {
  const [systemDark, setSystemDark] = useState(() => matchMedia(DARK_QUERY).matches);
  const [chosen, setChosen] = useState<Theme | null>(storedTheme);

  useEffect(() => {
    const query = matchMedia(DARK_QUERY);
    const onChange = () => setSystemDark(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);

  const theme: Theme = chosen ?? (systemDark ? 'dark' : 'light');

  const toggle = useCallback(() => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    setChosen(next);
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(STORAGE_ITEM, next);
    } catch {
      // Not remembered; the choice still holds for this window.
    }
  }, [theme]);

  return { theme, toggle };
}
