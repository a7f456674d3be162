// Light and dark themes follow the operating system unless the person (or the organisation)
// picked one in the settings. The stylesheet does the rest through `color-scheme` and
// `light-dark()`, so a theme is one attribute on <html> (settings/display.ts sets it).
import { useCallback, useEffect, useState } from 'react';
import { useApi } from '../api/api-context.js';
import { useConfig } from './use-config.js';

export type Theme = 'light' | 'dark';
const DARK_QUERY = '(prefers-color-scheme: dark)';

export function useTheme(): { theme: Theme; locked: boolean; toggle: () => void } {
  const api = useApi();
  const config = useConfig();
  const [systemDark, setSystemDark] = useState(() => matchMedia(DARK_QUERY).matches);

  useEffect(() => {
    const query = matchMedia(DARK_QUERY);
    const onChange = () => setSystemDark(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);

  const chosen = config?.personal.theme ?? 'system';
  const theme: Theme = chosen === 'system' ? (systemDark ? 'dark' : 'light') : chosen;
  const locked = config?.lockedPersonal.theme ?? false;

  const toggle = useCallback(() => {
    if (locked) return;
    void api.setSetting({ key: 'theme', value: theme === 'dark' ? 'light' : 'dark' });
  }, [api, locked, theme]);

  return { theme, locked, toggle };
}
