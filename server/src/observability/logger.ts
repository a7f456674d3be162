// One logger for the whole server: JSON lines on stdout (pino), one child per capability.
// Secrets are redacted here, once, so no caller has to remember to.
import { pino } from 'pino';
import type { Logger as PinoLogger, LevelWithSilent } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// pino's redaction matches exact paths (with `*` for one level), so the sensitive keys are listed
// at the depths where they can occur in our log objects.
const SENSITIVE_KEYS = [
  'authorization',
  'password',
  'token',
  'accessToken',
  'access_token',
  'secret',
  'serviceSecret',
  'adminToken',
  'cookie',
];
const REDACT_PATHS = SENSITIVE_KEYS.flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
  `headers.${key}`,
  `req.headers.${key}`,
]);

const root: PinoLogger = pino({
  level: process.env['ATTACHE_LOG_LEVEL'] ?? 'info',
  base: { service: 'attache-server' },
  redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  timestamp: pino.stdTimeFunctions.isoTime,
});

/** A logger scoped to one capability (`createLogger('fanout')`). */
export function createLogger(scope: string): Logger {
  return root.child({ scope });
}

/** Applied by startServer from the validated config; affects existing children too. */
export function setLogLevel(level: LogLevel): void {
  root.level = level;
}

/** Error details fit for a log line, without stack noise for expected failures. */
export function describeError(error: unknown): { message: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? { message: error.message, code } : { message: error.message };
  }
  return { message: String(error) };
}
