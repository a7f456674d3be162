// Device configuration read from the environment, validated at start-up. Each key: its
// variable, default and meaning. (Managed MDM configuration will layer on top of this.)
import { z } from 'zod';
import { DEFAULT_PORTS, DEV_IDP } from '../shared/protocol.js';
import type { LogLevel } from './logging/logger.js';
import { LOG_LEVELS } from './logging/logger.js';

const loopbackDefault = (port: number): string => `http://127.0.0.1:${port}`;

const isLoopbackHost = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);

export const deviceEnvSchema = z.object({
  /**
   * Base URL of the auth broker, the device's only door to the server. The device sends its
   * bearer token there, so plain http is accepted only on this machine's loopback (the
   * embedded product); anywhere else it must be https.
   */
  ATTACHE_BROKER_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .refine((url) => new URL(url).protocol === 'https:' || isLoopbackHost(new URL(url).hostname), {
      error: 'must be https unless the broker runs on this machine (127.0.0.1, localhost, [::1])',
    })
    .default(loopbackDefault(DEFAULT_PORTS.broker)),
  /**
   * The identity provider (OpenID Connect issuer; for Entra ID
   * https://login.microsoftonline.com/<tenant id>/). https only: msal-node refuses anything
   * else. A missing trailing slash is added (msal needs it; issuers usually omit it).
   */
  ATTACHE_AUTHORITY: z
    .url({ protocol: /^https$/, error: 'must be an https URL' })
    .default(`https://127.0.0.1:${DEFAULT_PORTS.idp}/`)
    .transform((url) => (url.endsWith('/') ? url : `${url}/`)),
  /** The reader's app registration (a public client) at the identity provider. */
  ATTACHE_CLIENT_ID: z.string().trim().min(1).max(256).default(DEV_IDP.readerClientId),
  /** Scopes the reader asks for, space-separated: the broker's sync scope. */
  ATTACHE_SCOPES: z
    .string()
    .default(`${DEV_IDP.brokerAudience}/${DEV_IDP.syncScope}`)
    .transform((value) => value.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(z.string().max(512)).min(1, 'name at least one scope')),
  /**
   * A PEM file with one extra CA certificate to trust for the identity provider (the embedded
   * product's development CA). The system's trusted roots stay trusted; TLS verification is
   * never turned off.
   */
  ATTACHE_TLS_CA_FILE: z.string().trim().min(1).optional(),
  /**
   * Offline sign-in: how many days a signed-in device may open its briefings without reaching
   * the identity provider or the broker. After that the reader locks until it reconnects.
   */
  ATTACHE_MAX_OFFLINE_DAYS: z.coerce.number().positive().max(365).default(14),
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

export function formatConfigError(variable: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || variable}: ${issue.message}`)
    .join('; ');
}

export function readDeviceConfig(env: NodeJS.ProcessEnv = process.env): DeviceConfig {
  // An empty variable means "not set" (as on the server): the default applies.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = deviceEnvSchema.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(
      `Invalid device configuration: ${formatConfigError('environment', parsed.error)}`,
    );
  }
  const data = parsed.data;
  return {
    brokerUrl: data.ATTACHE_BROKER_URL,
    auth: {
      authority: data.ATTACHE_AUTHORITY,
      clientId: data.ATTACHE_CLIENT_ID,
      scopes: data.ATTACHE_SCOPES,
      caFile: data.ATTACHE_TLS_CA_FILE ?? null,
      maxOfflineDays: data.ATTACHE_MAX_OFFLINE_DAYS,
    },
    logLevel: data.ATTACHE_LOG_LEVEL,
  };
}
