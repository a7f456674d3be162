// Device configuration read from the environment, validated at start-up. Each key: its
// variable, default and meaning. (Managed MDM configuration will layer on top of this.)
import { z } from 'zod';
import { DEFAULT_PORTS, SAMPLE_USER } from '../shared/protocol.js';
import type { LogLevel } from './logging/logger.js';
import { LOG_LEVELS } from './logging/logger.js';

const loopbackDefault = (port: number): string => `http://127.0.0.1:${port}`;

export const deviceEnvSchema = z.object({
  /** Base URL of the auth broker, the device's only door to the server. */
  ATTACHE_BROKER_URL: z
    .url({ protocol: /^https?$/ })
    .default(loopbackDefault(DEFAULT_PORTS.broker)),
  /** Embedded mode: the user whose development token the device asks for. */
  ATTACHE_USER: z.string().min(1).max(256).default(SAMPLE_USER.id),
  /**
   * Minimum level written to the log. The server reads the same variable with pino's levels,
   * so those are accepted too and mapped onto the device's four.
   */
  ATTACHE_LOG_LEVEL: z
    .enum([...LOG_LEVELS, 'trace', 'fatal', 'silent'])
    .default('info')
    .transform((level): LogLevel => {
      if (level === 'trace') return 'debug';
      if (level === 'fatal' || level === 'silent') return 'error';
      return level;
    }),
});

export type DeviceConfig = {
  readonly brokerUrl: string;
  readonly user: { readonly id: string; readonly displayName: string };
  readonly logLevel: LogLevel;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function formatConfigError(variable: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || variable}: ${issue.message}`)
    .join('; ');
}

export function readDeviceConfig(env: NodeJS.ProcessEnv = process.env): DeviceConfig {
  const parsed = deviceEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `Invalid device configuration: ${formatConfigError('environment', parsed.error)}`,
    );
  }
  const { ATTACHE_BROKER_URL, ATTACHE_USER, ATTACHE_LOG_LEVEL } = parsed.data;
  return {
    brokerUrl: ATTACHE_BROKER_URL,
    // Until sign-in lands, the display name is known only for the sample user.
    user: {
      id: ATTACHE_USER,
      displayName: ATTACHE_USER === SAMPLE_USER.id ? SAMPLE_USER.displayName : ATTACHE_USER,
    },
    logLevel: ATTACHE_LOG_LEVEL,
  };
}
