// The device configuration the services run with, taken from the resolved settings
// (policy/resolve.ts, where every setting, its sources and its checks live).
import type { LogLevel } from './logging/logger.js';
import { resolveSettings } from './policy/resolve.js';
import type { SettingValues } from './policy/schema.js';
import { EMPTY_POLICY } from './policy/types.js';

export type DeviceConfig = {
  readonly brokerUrl: string;
  readonly auth: {
    readonly authority: string;
    readonly clientId: string;
    readonly scopes: readonly string[];
    readonly caFile: string | null;
    readonly maxOfflineDays: number;
  };
  readonly logLevel: LogLevel;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function toDeviceConfig(values: SettingValues): DeviceConfig {
  return {
    brokerUrl: values.serverUrl,
    auth: {
      authority: values.identityAuthority,
      clientId: values.clientId,
      scopes: values.scopes,
      caFile: values.trustedCaFile,
      maxOfflineDays: values.maxOfflineDays,
    },
    logLevel: values.logLevel,
  };
}

/**
 * Development and tests: the configuration from environment variables alone, refusing any
 * invalid value (naming the variable) instead of reporting it. The product itself resolves
 * managed policy as well (policy/config-service.ts).
 */
export function readDeviceConfig(env: NodeJS.ProcessEnv = process.env): DeviceConfig {
  const resolved = resolveSettings({
    policy: EMPTY_POLICY,
    environment: env,
    person: { from: 'none', values: {} },
    mode: 'development',
  });
  const problem = resolved.problems[0] ?? (resolved.ready ? null : resolved.notSetUp);
  if (problem) {
    throw new ConfigError(
      `Invalid device configuration: ${problem.name} (${problem.from}): ${problem.reason}`,
    );
  }
  if (!resolved.ready) throw new ConfigError('Invalid device configuration');
  return toDeviceConfig(resolved.values);
}
