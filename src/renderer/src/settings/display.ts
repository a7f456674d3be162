// The person's display settings applied to the page: theme and text size are attributes on
// <html> (the stylesheet does the rest), the date and time format the defaults of the time
// wording. The last ones applied are kept in localStorage only to apply them before the first
// render (no flash); the device's settings stay the truth.
import type { PersonalSettings } from '../../../shared/settings.js';
import { setTimePreferences } from '../ui/time.js';

const CACHE_ITEM = 'attache.display';

export function applyDisplay(
  personal: PersonalSettings,
  root: HTMLElement = document.documentElement,
): void {
  if (personal.theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = personal.theme;
  if (personal.textSize === 'standard') delete root.dataset.textSize;
  else root.dataset.textSize = personal.textSize;
  setTimePreferences({
    locale:
      personal.dateFormat === 'day-month-year'
        ? 'en-GB'
        : personal.dateFormat === 'month-day-year'
          ? 'en-US'
          : undefined,
    hourCycle:
      personal.timeFormat === '12-hour'
        ? 'h12'
        : personal.timeFormat === '24-hour'
          ? 'h23'
          : undefined,
  });
  try {
    localStorage.setItem(CACHE_ITEM, JSON.stringify(personal));
  } catch {
    // Not cached: the next start applies the settings once they arrive.
  }
}

export function applyCachedDisplay(): void {
  try {
    const cached = localStorage.getItem(CACHE_ITEM);
    if (cached) applyDisplay(JSON.parse(cached) as PersonalSettings);
  } catch {
    // Nothing usable cached.
  }
}
