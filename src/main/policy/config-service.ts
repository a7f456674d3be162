// The device's settings while the app runs: reads managed policy and the person's settings,
// resolves them (resolve.ts), logs every ignored value with its source and reason, answers the
// reader's questions (what is set, by whom, what each marking allows) and changes a person's
// own setting unless the organisation locked it.
import type { Result } from '../../shared/result.js';
import { fail, ok } from '../../shared/result.js';
import type {
  DeviceConfigView,
  PersonalSettingKey,
  PersonalSettings,
  SettingView,
} from '../../shared/settings.js';
import { PERSONAL_SETTING_KEYS } from '../../shared/settings.js';
import type { Logger } from '../logging/logger.js';
import { markingPolicies } from './classification-policy.js';
import type { ResolvedSettings } from './resolve.js';
import { resolveSettings } from './resolve.js';
import type { SettingDefinition, SettingValues } from './schema.js';
import { SETTINGS, SETTING_KEYS } from './schema.js';
import type { ConfigMode, PolicySource } from './types.js';
import type { UserSettingsFile } from './user-settings.js';

export const SETTINGS_ERROR_CODES = {
  locked: 'setting-locked',
  invalid: 'setting-invalid',
} as const;

export type ConfigService = {
  readonly current: () => ResolvedSettings;
  /** The resolved values; only while the device is set up (see `current().ready`). */
  readonly values: () => SettingValues | null;
  readonly view: () => DeviceConfigView;
  readonly setPersonal: (
    key: PersonalSettingKey,
    value: string,
  ) => Promise<Result<DeviceConfigView>>;
  /** Reads the sources again (policy can change while the app runs). */
  readonly refresh: () => Promise<void>;
  readonly onChange: (listener: (view: DeviceConfigView) => void) => () => void;
};

export type ConfigServiceOptions = {
  readonly policy: PolicySource;
  readonly person: UserSettingsFile;
  readonly environment: Readonly<Record<string, string | undefined>>;
  readonly mode: ConfigMode;
  readonly device: { readonly id: string; readonly appVersion: string };
  readonly logger: Logger;
};

function viewOf(
  resolved: ResolvedSettings,
  device: ConfigServiceOptions['device'],
): DeviceConfigView {
  const values = resolved.values;
  const settings: SettingView[] = SETTING_KEYS.map((key) => {
    const definition: SettingDefinition<unknown> = SETTINGS[key];
    const origin = resolved.origins[key];
    const value = values[key];
    return {
      name: definition.name,
      title: definition.title,
      value: value === undefined ? 'not set' : definition.describe(value),
      source: origin.source,
      from: origin.from,
      locked: origin.locked,
    };
  });
  const personal = {} as Record<PersonalSettingKey, string>;
  const lockedPersonal = {} as Record<PersonalSettingKey, boolean>;
  for (const key of PERSONAL_SETTING_KEYS) {
    personal[key] = values[key] ?? (SETTINGS[key].default as string);
    lockedPersonal[key] = resolved.origins[key].locked;
  }
  const classification = {
    classificationCeiling: values.classificationCeiling ?? 'TOP SECRET',
    printBlockedFrom: values.printBlockedFrom ?? 'SECRET',
    copyBlockedFrom: values.copyBlockedFrom ?? 'SECRET',
    screenCaptureBlockedFrom: values.screenCaptureBlockedFrom ?? 'PROTECTED',
  } as const;
  return {
    personal: personal as unknown as PersonalSettings,
    lockedPersonal,
    settings,
    problems: resolved.problems,
    markings: markingPolicies(classification),
    allowedLinkTargets: values.allowedLinkTargets ?? [],
    device: { id: device.id, appVersion: device.appVersion, serverUrl: values.serverUrl ?? null },
    notSetUp: resolved.ready ? null : resolved.notSetUp,
  };
}

export async function createConfigService(options: ConfigServiceOptions): Promise<ConfigService> {
  const logger = options.logger.child('settings');
  const listeners = new Set<(view: DeviceConfigView) => void>();
  let reported = new Set<string>();

  const load = async (): Promise<ResolvedSettings> => {
    const [policy, person] = await Promise.all([options.policy.read(), options.person.read()]);
    return resolveSettings({
      policy,
      environment: options.environment,
      person: { from: options.person.path, values: person },
      mode: options.mode,
    });
  };

  // Each ignored value is logged once, with where it came from and why: IT reads this.
  const report = (resolved: ResolvedSettings): void => {
    const now = new Set<string>();
    for (const problem of resolved.problems) {
      const key = `${problem.name}\u0000${problem.from}\u0000${problem.reason}`;
      now.add(key);
      if (!reported.has(key)) {
        logger.warn('a setting was ignored', {
          setting: problem.name,
          source: problem.from,
          reason: problem.reason,
        });
      }
    }
    reported = now;
    if (!resolved.ready) {
      logger.error('Attaché is not set up on this device', {
        setting: resolved.notSetUp.name,
        source: resolved.notSetUp.from,
        reason: resolved.notSetUp.reason,
      });
    }
  };

  let resolved = await load();
  report(resolved);
  if (resolved.fromEnvironment.length > 0) {
    logger.warn('development: settings taken from environment variables', {
      variables: resolved.fromEnvironment,
    });
  }

  const publish = (): void => {
    const view = viewOf(resolved, options.device);
    for (const listener of listeners) listener(view);
  };

  return {
    current: () => resolved,
    values: () => (resolved.ready ? resolved.values : null),
    view: () => viewOf(resolved, options.device),
    setPersonal: async (key, value) => {
      if (resolved.origins[key].locked) {
        return fail(
          SETTINGS_ERROR_CODES.locked,
          `${SETTINGS[key].title} is set by your organisation and cannot be changed here.`,
        );
      }
      const parsed = (SETTINGS[key] as SettingDefinition<unknown>).schema.safeParse(value);
      if (!parsed.success) {
        return fail(
          SETTINGS_ERROR_CODES.invalid,
          `${SETTINGS[key].title}: ${parsed.error.issues.map((i) => i.message).join('; ')}.`,
        );
      }
      const stored = await options.person.read();
      await options.person.write({ ...stored, [SETTINGS[key].name]: parsed.data });
      resolved = await load();
      report(resolved);
      publish();
      return ok(viewOf(resolved, options.device));
    },
    refresh: async () => {
      const next = await load();
      const changed =
        JSON.stringify(viewOf(next, options.device)) !==
        JSON.stringify(viewOf(resolved, options.device));
      resolved = next;
      report(resolved);
      if (changed) publish();
    },
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
