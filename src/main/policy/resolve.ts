// Which value each setting takes, and why: managed policy first, then (in development only)
// environment variables, then the person's own choice for the settings they may change, then
// the default. A value that fails its check is reported with its source and reason and never
// guessed at: the setting takes its default, or, for a required setting with no valid value,
// the device is "not set up" and says which setting IT must fix. Pure: the sources are read
// elsewhere, and the same inputs always give the same answer.
import type { SettingProblem, SettingSource } from '../../shared/settings.js';
import type { SettingDefinition, SettingKey, SettingValues } from './schema.js';
import { SETTINGS, SETTING_KEYS, settingKeyByName } from './schema.js';
import type { ConfigMode, PolicyReading } from './types.js';

export type SettingOrigin = {
  readonly source: SettingSource;
  readonly from: string;
  /** Set by the organisation: the person cannot change it. */
  readonly locked: boolean;
};

export type PersonLayer = {
  /** Where the person's settings live, for messages. */
  readonly from: string;
  readonly values: Readonly<Record<string, unknown>>;
};

export type ResolveInput = {
  readonly policy: PolicyReading;
  readonly environment: Readonly<Record<string, string | undefined>>;
  readonly person: PersonLayer;
  readonly mode: ConfigMode;
};

type Common = {
  readonly origins: Readonly<Record<SettingKey, SettingOrigin>>;
  readonly problems: readonly SettingProblem[];
  /** Environment variables that set something (development only), to say so in the log. */
  readonly fromEnvironment: readonly string[];
  readonly mode: ConfigMode;
};

export type ResolvedSettings =
  | (Common & { readonly ready: true; readonly values: SettingValues })
  | (Common & {
      readonly ready: false;
      /** The first required setting without a valid value. */
      readonly notSetUp: SettingProblem;
      readonly values: Partial<SettingValues>;
    });

const DEFAULT_ORIGIN: SettingOrigin = { source: 'default', from: 'default', locked: false };

function describeIssues(issues: readonly { message: string }[]): string {
  return issues.map((issue) => issue.message).join('; ');
}

type Candidate = { readonly value: unknown; readonly origin: SettingOrigin };

export function resolveSettings(input: ResolveInput): ResolvedSettings {
  const problems: SettingProblem[] = [...input.policy.problems];
  const fromEnvironment: string[] = [];

  // The highest policy layer that names a setting wins it; names IT mistyped are reported.
  const policyValues = new Map<SettingKey, Candidate>();
  for (const layer of input.policy.layers) {
    for (const [name, value] of Object.entries(layer.values)) {
      const key = settingKeyByName(name);
      if (!key) {
        problems.push({ name, from: layer.from, reason: 'is not an Attaché setting' });
        continue;
      }
      if (!policyValues.has(key)) {
        policyValues.set(key, {
          value,
          origin: { source: 'policy', from: layer.from, locked: true },
        });
      }
    }
  }
  for (const name of Object.keys(input.person.values)) {
    const key = settingKeyByName(name);
    if (!key || !SETTINGS[key].personal) {
      problems.push({
        name,
        from: input.person.from,
        reason: 'is not a setting a person may change',
      });
    }
  }

  const candidateFor = (key: SettingKey): Candidate | null => {
    const definition: SettingDefinition<unknown> = SETTINGS[key];
    const fromPolicy = policyValues.get(key);
    if (fromPolicy) return fromPolicy;
    if (input.mode === 'development' && definition.env) {
      const raw = input.environment[definition.env];
      if (raw !== undefined && raw !== '') {
        fromEnvironment.push(definition.env);
        return {
          value: raw,
          origin: { source: 'development', from: `environment ${definition.env}`, locked: false },
        };
      }
    }
    if (definition.personal) {
      const entry = Object.entries(input.person.values).find(
        ([name]) => settingKeyByName(name) === key,
      );
      if (entry) {
        return {
          value: entry[1],
          origin: { source: 'person', from: input.person.from, locked: false },
        };
      }
    }
    return null;
  };

  const values: Partial<Record<SettingKey, unknown>> = {};
  const origins = {} as Record<SettingKey, SettingOrigin>;
  let notSetUp: SettingProblem | null = null;

  for (const key of SETTING_KEYS) {
    const definition: SettingDefinition<unknown> = SETTINGS[key];
    const candidate = candidateFor(key);
    if (candidate) {
      const parsed = definition.schema.safeParse(candidate.value);
      if (parsed.success) {
        values[key] = parsed.data;
        origins[key] = candidate.origin;
        continue;
      }
      problems.push({
        name: definition.name,
        from: candidate.origin.from,
        reason: describeIssues(parsed.error.issues),
      });
      // An invalid value is not replaced by a lower source's: IT's intent was this source.
      if (candidate.origin.locked && !definition.required) {
        values[key] = definition.default;
        origins[key] = { ...DEFAULT_ORIGIN, locked: true };
        continue;
      }
      if (definition.required) {
        notSetUp ??= {
          name: definition.name,
          from: candidate.origin.from,
          reason: describeIssues(parsed.error.issues),
        };
        origins[key] = DEFAULT_ORIGIN;
        continue;
      }
    }
    if (definition.default !== undefined) {
      values[key] = definition.default;
      origins[key] = DEFAULT_ORIGIN;
    } else if (input.mode === 'development' && definition.developmentDefault !== undefined) {
      values[key] = definition.developmentDefault;
      origins[key] = { source: 'default', from: 'development default', locked: false };
    } else {
      origins[key] = DEFAULT_ORIGIN;
      notSetUp ??= { name: definition.name, from: 'managed policy', reason: 'is not set' };
    }
  }

  const common = { origins, problems, fromEnvironment, mode: input.mode };
  if (notSetUp)
    return { ...common, ready: false, notSetUp, values: values as Partial<SettingValues> };
  return { ...common, ready: true, values: values as SettingValues };
}
