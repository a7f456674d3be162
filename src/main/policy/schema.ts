// Every device setting in one place: its name for IT (registry value, managed preference key,
// JSON key), type, default, explanation, whether the organisation may lock it and whether a
// person may change it. The resolver (resolve.ts), the settings screen and the ADMX/ADML,
// .mobileconfig and JSON Schema templates (templates/) are all derived from this table, so a
// setting documented for IT is always a setting the app reads.
import { z } from 'zod';
import { CLASSIFICATIONS } from '../../shared/briefing.js';
import type { Classification } from '../../shared/briefing.js';
import { DEFAULT_PORTS, DEV_IDP } from '../../shared/protocol.js';
import { DATE_FORMATS, TEXT_SIZES, THEMES, TIME_FORMATS } from '../../shared/settings.js';

export const SETTING_CATEGORIES = {
  connection: 'Connection and sign-in',
  classification: 'Classification policies',
  links: 'Links in briefings',
  appearance: 'Appearance',
  diagnostics: 'Diagnostics',
} as const;
export type SettingCategory = keyof typeof SETTING_CATEGORIES;

/** How a value is typed for IT: drives the ADMX element, the plist type and the JSON type. */
export type SettingKind =
  | { readonly type: 'text' }
  | { readonly type: 'number'; readonly min: number; readonly max: number }
  | {
      readonly type: 'choice';
      readonly choices: readonly { readonly value: string; readonly label: string }[];
    }
  | { readonly type: 'list' };

export type SettingDefinition<T> = {
  /** The name IT writes: registry value, preference key, JSON key. */
  readonly name: string;
  readonly category: SettingCategory;
  readonly title: string;
  /** Shown to IT in Group Policy and the templates, and in the settings screen. */
  readonly description: string;
  readonly kind: SettingKind;
  /** Checks a value as any source gives it (JSON, registry, plist, environment). */
  readonly schema: z.ZodType<T>;
  /**
   * Used when no source sets the key. A required setting has none: in production an install
   * without it is "not set up" (development builds use `developmentDefault`).
   */
  readonly default?: T;
  readonly required: boolean;
  readonly developmentDefault?: T;
  /** The development environment variable that may set it (development and tests only). */
  readonly env?: string;
  /** A person may change it in the settings screen (unless the organisation set it). */
  readonly personal: boolean;
  /** How the value reads in the settings screen and About. */
  describe(value: T): string;
};

const isLoopbackHost = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);

/** Numbers arrive as numbers (JSON, REG_DWORD, plist integer) or as digits (REG_SZ, env). */
const numberFrom = (min: number, max: number) =>
  z.preprocess(
    (value) =>
      typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value,
    z
      .number({ error: 'must be a number' })
      .min(min, { error: `must be at least ${min}` })
      .max(max, { error: `must be at most ${max}` }),
  );

/** Lists arrive as arrays (JSON, plist, REG_MULTI_SZ or a subkey of values) or one string. */
const listFrom = (item: z.ZodType<string, string>) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value),
    z.array(item, { error: 'must be a list of text' }).max(100),
  );

const choiceOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of: ${values.join(', ')}` });

const MARKING_CHOICES = CLASSIFICATIONS.map((marking) => ({
  value: marking,
  label: marking === 'TOP SECRET' ? 'TOP SECRET (the highest)' : `${marking} and above`,
}));

/** "Blocked from" thresholds: a marking and everything above it, or nothing at all. */
export const NOTHING = 'none';
const THRESHOLDS = [...CLASSIFICATIONS, NOTHING] as const;
export type Threshold = (typeof THRESHOLDS)[number];
const thresholdKind: SettingKind = {
  type: 'choice',
  choices: [...MARKING_CHOICES, { value: NOTHING, label: 'No marking' }],
};
const describeThreshold = (value: Threshold): string =>
  value === NOTHING ? 'no marking' : value === 'TOP SECRET' ? 'TOP SECRET' : `${value} and above`;

const logLevel = z
  .enum(['debug', 'info', 'warn', 'error', 'trace', 'fatal', 'silent'], {
    error: 'must be one of: debug, info, warn, error',
  })
  // The server reads ATTACHE_LOG_LEVEL with pino's levels; the device maps them onto its four.
  .transform((level): 'debug' | 'info' | 'warn' | 'error' => {
    if (level === 'trace') return 'debug';
    if (level === 'fatal' || level === 'silent') return 'error';
    return level;
  });

const define = <T>(definition: SettingDefinition<T>): SettingDefinition<T> => definition;

/** A "blocked from" threshold: IT's to set, a marking and everything above it, or none. */
const blockedFrom = (
  definition: Pick<SettingDefinition<Threshold>, 'name' | 'title' | 'description'> & {
    readonly default: Threshold;
  },
): SettingDefinition<Threshold> =>
  define<Threshold>({
    ...definition,
    category: 'classification',
    kind: thresholdKind,
    schema: choiceOf(THRESHOLDS),
    required: false,
    personal: false,
    describe: describeThreshold,
  });

/**
 * How the reader looks: a person's own choice among `values` (offered in that order, each with
 * its label), unless the organisation sets it.
 */
const appearance = <const T extends readonly [string, ...string[]]>(
  values: T,
  definition: Pick<SettingDefinition<T[number]>, 'name' | 'title' | 'description' | 'describe'> & {
    readonly labels: Readonly<Record<T[number], string>>;
    readonly default: T[number];
  },
): SettingDefinition<T[number]> => {
  const { labels, ...rest } = definition;
  return define<T[number]>({
    ...rest,
    category: 'appearance',
    kind: {
      type: 'choice',
      choices: values.map((value) => ({ value, label: labels[value as T[number]] })),
    },
    schema: choiceOf(values),
    required: false,
    personal: true,
  });
};

export const SETTINGS = {
  serverUrl: define<string>({
    name: 'ServerUrl',
    category: 'connection',
    title: 'Attaché server',
    description:
      "The address of the organisation's Attaché server (its auth broker), for example https://attache.example.gov.au. The device sends its sign-in token there, so it must be https unless the server runs on the same machine.",
    kind: { type: 'text' },
    schema: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) address' })
      .refine(
        (url) => new URL(url).protocol === 'https:' || isLoopbackHost(new URL(url).hostname),
        { error: 'must be https unless the broker runs on this machine' },
      ),
    required: true,
    developmentDefault: `http://127.0.0.1:${DEFAULT_PORTS.broker}`,
    env: 'ATTACHE_BROKER_URL',
    personal: false,
    describe: (value) => value,
  }),
  identityAuthority: define<string>({
    name: 'IdentityAuthority',
    category: 'connection',
    title: 'Identity provider',
    description:
      'The OpenID Connect authority people sign in with; for Microsoft Entra ID https://login.microsoftonline.com/<tenant id>/. https only.',
    kind: { type: 'text' },
    schema: z
      .url({ protocol: /^https$/, error: 'must be an https address' })
      .transform((url) => (url.endsWith('/') ? url : `${url}/`)),
    required: true,
    developmentDefault: `https://127.0.0.1:${DEFAULT_PORTS.idp}/`,
    env: 'ATTACHE_AUTHORITY',
    personal: false,
    describe: (value) => value,
  }),
  clientId: define<string>({
    name: 'ClientId',
    category: 'connection',
    title: 'Reader application id',
    description:
      "The application (client) id of the 'Attaché reader' app registration at the identity provider.",
    kind: { type: 'text' },
    schema: z.string().trim().min(1, { error: 'must not be empty' }).max(256),
    required: true,
    developmentDefault: DEV_IDP.readerClientId,
    env: 'ATTACHE_CLIENT_ID',
    personal: false,
    describe: (value) => value,
  }),
  scopes: define<readonly string[]>({
    name: 'Scopes',
    category: 'connection',
    title: 'Sign-in scopes',
    description:
      "The scopes the reader asks for, separated by spaces: the broker's sync scope, for example api://attache-broker/briefings.sync.",
    kind: { type: 'text' },
    schema: listFrom(z.string().max(512)).pipe(
      z.array(z.string()).min(1, { error: 'name at least one scope' }),
    ),
    required: true,
    developmentDefault: [`${DEV_IDP.brokerAudience}/${DEV_IDP.syncScope}`],
    env: 'ATTACHE_SCOPES',
    personal: false,
    describe: (value) => value.join(' '),
  }),
  trustedCaFile: define<string | null>({
    name: 'TrustedCaFile',
    category: 'connection',
    title: 'Extra trusted certificate authority',
    description:
      "A PEM file with one extra certificate authority to trust for the identity provider, beside the system's. Leave unset with Entra ID.",
    kind: { type: 'text' },
    schema: z.string().trim().min(1).max(1024).nullable(),
    default: null,
    required: false,
    env: 'ATTACHE_TLS_CA_FILE',
    personal: false,
    describe: (value) => value ?? 'none',
  }),
  maxOfflineDays: define<number>({
    name: 'MaxOfflineDays',
    category: 'connection',
    title: 'Offline period (days)',
    description:
      'How many days a signed-in device opens its briefings without reaching the identity provider or the server. After that the reader locks until it reconnects.',
    kind: { type: 'number', min: 1, max: 365 },
    // Fractions are for tests (a period of minutes); Group Policy offers whole days.
    schema: numberFrom(0.0001, 365),
    default: 14,
    required: false,
    env: 'ATTACHE_MAX_OFFLINE_DAYS',
    personal: false,
    describe: (value) => `${value} days`,
  }),
  classificationCeiling: define<Classification>({
    name: 'ClassificationCeiling',
    category: 'classification',
    title: 'Highest marking this device may hold',
    description:
      'Briefings marked above this are never stored on the device; lowering it removes those already there from the disk.',
    kind: { type: 'choice', choices: MARKING_CHOICES },
    schema: choiceOf(CLASSIFICATIONS),
    default: 'TOP SECRET',
    required: false,
    personal: false,
    describe: (value) => value,
  }),
  printBlockedFrom: blockedFrom({
    name: 'PrintBlockedFrom',
    title: 'Printing blocked from',
    description:
      'Briefings with this marking or a higher one cannot be printed. Others print with the reader’s name and the time as a watermark and the marking at the top and bottom of every page.',
    default: 'SECRET',
  }),
  copyBlockedFrom: blockedFrom({
    name: 'CopyBlockedFrom',
    title: 'Copying text blocked from',
    description: 'The text of briefings with this marking or a higher one cannot be copied.',
    default: 'SECRET',
  }),
  screenCaptureBlockedFrom: blockedFrom({
    name: 'ScreenCaptureBlockedFrom',
    title: 'Screen capture blocked from',
    description:
      'While a briefing with this marking or a higher one (or its attachment) is on screen, screenshots, screen recording and screen sharing show the window blank. Desktop app only.',
    default: 'PROTECTED',
  }),
  allowedLinkTargets: define<readonly string[]>({
    name: 'AllowedLinkTargets',
    category: 'links',
    title: 'Addresses links may open',
    description:
      'Links in briefings open in the system browser, after a confirmation, only when they start with one of these https addresses (for example https://intranet.example.gov.au/). Empty: no link opens.',
    kind: { type: 'list' },
    schema: listFrom(
      z
        .url({ protocol: /^https$/, error: 'each address must start with https://' })
        .refine((url) => !new URL(url).username && !new URL(url).password, {
          error: 'an address must not carry a user name or password',
        }),
    ),
    default: [],
    required: false,
    personal: false,
    describe: (value) => (value.length === 0 ? 'none' : value.join(', ')),
  }),
  logLevel: define<'debug' | 'info' | 'warn' | 'error'>({
    name: 'LogLevel',
    category: 'diagnostics',
    title: 'Log level',
    description:
      'The least important kind of record written to the log: debug, info, warn or error.',
    kind: {
      type: 'choice',
      choices: [
        { value: 'debug', label: 'Debug' },
        { value: 'info', label: 'Information' },
        { value: 'warn', label: 'Warnings' },
        { value: 'error', label: 'Errors' },
      ],
    },
    schema: logLevel,
    default: 'info',
    required: false,
    env: 'ATTACHE_LOG_LEVEL',
    personal: false,
    describe: (value) => value,
  }),
  theme: appearance(THEMES, {
    name: 'Theme',
    title: 'Theme',
    description: 'Light, dark, or follow the system.',
    labels: {
      system: 'Follow the system',
      light: 'Light',
      dark: 'Dark',
    },
    default: 'system',
    describe: (value) => (value === 'system' ? 'follow the system' : value),
  }),
  textSize: appearance(TEXT_SIZES, {
    name: 'TextSize',
    title: 'Text size',
    description: 'The size of text in the reader.',
    labels: {
      small: 'Small',
      standard: 'Standard',
      large: 'Large',
      larger: 'Larger',
    },
    default: 'standard',
    describe: (value) => value,
  }),
  dateFormat: appearance(DATE_FORMATS, {
    name: 'DateFormat',
    title: 'Date format',
    description: "Day before month, month before day, or the system's own format.",
    labels: {
      system: 'As the system',
      'day-month-year': 'Day month year (22 Nov 2025)',
      'month-day-year': 'Month day year (Nov 22, 2025)',
    },
    default: 'system',
    describe: (value) => (value === 'system' ? 'as the system' : value.replaceAll('-', ' ')),
  }),
  timeFormat: appearance(TIME_FORMATS, {
    name: 'TimeFormat',
    title: 'Time format',
    description: "A 12-hour or 24-hour clock, or the system's own.",
    labels: {
      system: 'As the system',
      '12-hour': '12-hour (7:40 pm)',
      '24-hour': '24-hour (19:40)',
    },
    default: 'system',
    describe: (value) => (value === 'system' ? 'as the system' : value),
  }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** The resolved value of every setting. */
export type SettingValues = {
  readonly [K in SettingKey]: (typeof SETTINGS)[K] extends SettingDefinition<infer T> ? T : never;
};

/** IT's name of a setting -> its key; names are matched without regard to case. */
export function settingKeyByName(name: string): SettingKey | null {
  const lower = name.toLowerCase();
  return SETTING_KEYS.find((key) => SETTINGS[key].name.toLowerCase() === lower) ?? null;
}
