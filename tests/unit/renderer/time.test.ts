import { describe, expect, it } from 'vitest';
import { dayKey, dayLabel, relativeTime, shiftDayKey } from '../../../src/renderer/src/ui/time.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const now = Date.parse('2025-11-22T09:00:00Z');
const en = { locale: 'en-AU' };

describe('relative time', () => {
  it('says "just now" for the last few seconds', () => {
    expect(relativeTime(now - 10_000, now, en)).toBe('just now');
  });

  it('counts minutes, then hours, then days', () => {
    expect(relativeTime(now - 4 * MINUTE, now, en)).toBe('4 minutes ago');
    expect(relativeTime(now - 1 * MINUTE, now, en)).toBe('1 minute ago');
    expect(relativeTime(now - 3 * HOUR, now, en)).toBe('3 hours ago');
    expect(relativeTime(now - 1 * DAY, now, en)).toBe('yesterday');
    expect(relativeTime(now - 5 * DAY, now, en)).toBe('5 days ago');
  });

  it('rounds to the nearest unit rather than truncating', () => {
    expect(relativeTime(now - 89 * MINUTE, now, en)).toBe('1 hour ago');
    expect(relativeTime(now - 91 * MINUTE, now, en)).toBe('2 hours ago');
  });

  it('speaks of the future when the clock of the other side runs ahead', () => {
    expect(relativeTime(now + 10 * MINUTE, now, en)).toBe('in 10 minutes');
  });

  it('falls back to months and years for old times', () => {
    expect(relativeTime(now - 90 * DAY, now, en)).toBe('3 months ago');
    expect(relativeTime(now - 800 * DAY, now, en)).toBe('2 years ago');
  });
});

describe('calendar days', () => {
  it('takes the day in the given time zone, not in UTC', () => {
    const lateEvening = Date.parse('2025-11-22T14:30:00Z'); // 01:30 on the 23rd in Sydney
    expect(dayKey(lateEvening, { timeZone: 'UTC' })).toBe('2025-11-22');
    expect(dayKey(lateEvening, { timeZone: 'Australia/Sydney' })).toBe('2025-11-23');
  });

  it('steps across month and year ends', () => {
    expect(shiftDayKey('2025-03-01', -1)).toBe('2025-02-28');
    expect(shiftDayKey('2024-03-01', -1)).toBe('2024-02-29');
    expect(shiftDayKey('2026-01-01', -1)).toBe('2025-12-31');
  });

  it('labels today and yesterday in words, other days as dates', () => {
    expect(dayLabel('2025-11-22', '2025-11-22', en)).toBe('Today');
    expect(dayLabel('2025-11-21', '2025-11-22', en)).toBe('Yesterday');
    expect(dayLabel('2025-11-17', '2025-11-22', en)).toBe('Monday 17 November');
  });

  it('adds the year to a date from another year', () => {
    expect(dayLabel('2024-11-15', '2025-11-22', en)).toBe('Friday 15 November 2024');
  });

  it('knows yesterday across a new year', () => {
    expect(dayLabel('2025-12-31', '2026-01-01', en)).toBe('Yesterday');
  });
});

describe('calendar days in the reader’s own time zone', () => {
  it('agrees with Intl when no time zone is named', () => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    for (const iso of [
      '2025-11-22T00:30:00Z',
      '2025-11-22T13:59:00Z',
      '2025-12-31T23:30:00Z',
      '2024-02-29T12:00:00Z',
    ]) {
      const ms = Date.parse(iso);
      expect(dayKey(ms)).toBe(dayKey(ms, { timeZone: zone }));
    }
  });
});
