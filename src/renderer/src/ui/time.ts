// Time wording shared by the list, the reader and the sync indicator. Every function takes
// `now`, the locale and the time zone explicitly so that the same input always reads the same
// way (and tests need no fake clock).

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type TimeOptions = {
  readonly locale?: string | undefined;
  readonly timeZone?: string | undefined;
};

/** The person's date order (as a locale) and clock, from the settings; unset: the system's. */
export type TimePreferences = {
  readonly locale?: string | undefined;
  readonly hourCycle?: 'h12' | 'h23' | undefined;
};
let preferences: TimePreferences = {};

export function setTimePreferences(next: TimePreferences): void {
  preferences = next;
}

// Building an Intl formatter costs far more than using one; the list formats a time per row.
const formatters = new Map<string, Intl.DateTimeFormat>();
function dateFormat(options: Intl.DateTimeFormatOptions, given: TimeOptions) {
  const locale = given.locale ?? preferences.locale;
  const { timeZone } = given;
  const withClock: Intl.DateTimeFormatOptions =
    preferences.hourCycle && (options.timeStyle || options.hour)
      ? { ...options, hourCycle: preferences.hourCycle }
      : options;
  const key = JSON.stringify([locale ?? '', timeZone ?? '', withClock]);
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { ...withClock, timeZone });
    formatters.set(key, format);
  }
  return format;
}

/** Milliseconds since the epoch, or null for a missing or malformed ISO string. */
export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** "just now", "4 minutes ago", "2 hours ago", "yesterday", "3 days ago", "in 5 minutes". */
export function relativeTime(thenMs: number, nowMs: number, { locale }: TimeOptions = {}): string {
  const diff = thenMs - nowMs;
  const abs = Math.abs(diff);
  if (abs < 45 * SECOND) return 'just now';
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (abs < 45 * MINUTE) return rtf.format(Math.round(diff / MINUTE), 'minute');
  if (abs < 22 * HOUR) return rtf.format(Math.round(diff / HOUR), 'hour');
  if (abs < 26 * DAY) return rtf.format(Math.round(diff / DAY), 'day');
  if (abs < 320 * DAY) return rtf.format(Math.round(diff / (30 * DAY)), 'month');
  return rtf.format(Math.round(diff / (365 * DAY)), 'year');
}

/** "Saturday 22 November 2025 at 7:40 pm": for titles and anywhere precision matters. */
export function formatAbsolute(ms: number, options: TimeOptions = {}): string {
  return dateFormat({ dateStyle: 'full', timeStyle: 'short' }, options).format(ms);
}

/** "22 Nov 2025, 7:40 pm": compact but unambiguous. */
export function formatDateTime(ms: number, options: TimeOptions = {}): string {
  return dateFormat({ dateStyle: 'medium', timeStyle: 'short' }, options).format(ms);
}

/** "7:40 pm" */
export function formatTimeOfDay(ms: number, options: TimeOptions = {}): string {
  return dateFormat({ hour: 'numeric', minute: '2-digit' }, options).format(ms);
}

/** The calendar day of an instant in a time zone, as "YYYY-MM-DD" (sortable, comparable). */
export function dayKey(ms: number, options: TimeOptions = {}): string {
  if (options.timeZone === undefined) {
    // The reader's own zone: Date's local getters are far cheaper than Intl, which matters
    // when 10,000 briefings are regrouped after a sync.
    const date = new Date(ms);
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }
  const parts = dateFormat(
    {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      calendar: 'gregory',
      numberingSystem: 'latn',
    },
    { locale: 'en-CA', timeZone: options.timeZone },
  ).formatToParts(ms);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** Noon UTC of a day key: a stable instant to do calendar arithmetic and formatting with. */
function dayKeyNoonUtc(key: string): number {
  const [y = 1970, m = 1, d = 1] = key.split('-').map(Number);
  return Date.UTC(y, m - 1, d, 12);
}

/** The day key `offset` calendar days away from `key` (offset -1 is the day before). */
export function shiftDayKey(key: string, offset: number): string {
  return dayKey(dayKeyNoonUtc(key) + offset * DAY, { timeZone: 'UTC' });
}

/** "Today", "Yesterday", "Monday 17 November", or "Friday 15 November 2024" in another year. */
export function dayLabel(key: string, todayKey: string, { locale }: TimeOptions = {}): string {
  if (key === todayKey) return 'Today';
  if (key === shiftDayKey(todayKey, -1)) return 'Yesterday';
  const sameYear = key.slice(0, 4) === todayKey.slice(0, 4);
  const options: Intl.DateTimeFormatOptions = sameYear
    ? { weekday: 'long', day: 'numeric', month: 'long' }
    : { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' };
  return dateFormat(options, { locale, timeZone: 'UTC' }).format(dayKeyNoonUtc(key));
}
