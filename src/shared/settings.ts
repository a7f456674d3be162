// What the reader knows about the device's settings: the person's own choices (theme, text size,
// date and time format), where every setting came from, and what the organisation's
// classification policy means for each marking. Main resolves all of it
// (src/main/policy/); the reader only shows it and asks main to change a personal choice.
import type { Classification } from './briefing.js';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];
export const TEXT_SIZES = ['small', 'standard', 'large', 'larger'] as const;
export type TextSize = (typeof TEXT_SIZES)[number];
export const DATE_FORMATS = ['system', 'day-month-year', 'month-day-year'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];
export const TIME_FORMATS = ['system', '12-hour', '24-hour'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

/** The settings a person may change themselves (unless the organisation locked them). */
export type PersonalSettings = {
  readonly theme: Theme;
  readonly textSize: TextSize;
  readonly dateFormat: DateFormat;
  readonly timeFormat: TimeFormat;
};
export type PersonalSettingKey = keyof PersonalSettings;
export const PERSONAL_SETTING_KEYS = [
  'theme',
  'textSize',
  'dateFormat',
  'timeFormat',
] as const satisfies readonly PersonalSettingKey[];

/**
 * policy: the organisation's managed configuration (registry, managed preferences, policy file);
 * development: an environment variable (development and tests only); person: this person's own
 * choice; default: nobody set it.
 */
export type SettingSource = 'policy' | 'development' | 'person' | 'default';

export type SettingView = {
  /** The name IT uses (registry value, preference key, JSON key). */
  readonly name: string;
  readonly title: string;
  /** The effective value in words. */
  readonly value: string;
  readonly source: SettingSource;
  /** Where exactly: `HKLM\SOFTWARE\Policies\Attache`, `/etc/attache/policy.json`, ... */
  readonly from: string;
  /** Set by the organisation: the person cannot change it. */
  readonly locked: boolean;
};

/** A value that was ignored, and why: shown in settings and written to the log. */
export type SettingProblem = {
  readonly name: string;
  readonly from: string;
  readonly reason: string;
};

/** What the organisation's policy means for one marking, for the reader to apply and show. */
export type MarkingPolicy = {
  readonly marking: Classification;
  /** Printed with the watermark and banners on every page, or not at all. */
  readonly print: 'watermarked' | 'blocked';
  readonly copy: 'allowed' | 'blocked';
  /** Screen capture and recording see a blank window while it is shown (desktop app only). */
  readonly screenCapture: 'allowed' | 'blocked';
  /** Above this device's ceiling: never stored here. */
  readonly aboveCeiling: boolean;
};

export type DeviceConfigView = {
  readonly personal: PersonalSettings;
  readonly lockedPersonal: Readonly<Record<PersonalSettingKey, boolean>>;
  readonly settings: readonly SettingView[];
  readonly problems: readonly SettingProblem[];
  readonly markings: readonly MarkingPolicy[];
  /** Links in briefings open only to these address prefixes (empty: no link opens). */
  readonly allowedLinkTargets: readonly string[];
  readonly device: {
    readonly id: string;
    readonly appVersion: string;
    readonly serverUrl: string | null;
  };
  /**
   * Set when a required setting has no valid value: the reader shows "not set up on this device"
   * naming it, and nothing else works until IT fixes the policy.
   */
  readonly notSetUp: SettingProblem | null;
};
