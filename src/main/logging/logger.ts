// One scoped logger for the device services. Everything passes through `redact` before it
// reaches a sink, so no caller can leak a token by forgetting to scrub it.
import { redact, redactString } from './redact.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogRecord = {
  readonly level: LogLevel;
  readonly scope: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
  readonly time: Date;
};

/** Where records go: electron-log's file transport in Electron, stderr under plain Node. */
export type LogSink = (record: LogRecord) => void;

export type Logger = {
  readonly debug: (message: string, fields?: Record<string, unknown>) => void;
  readonly info: (message: string, fields?: Record<string, unknown>) => void;
  readonly warn: (message: string, fields?: Record<string, unknown>) => void;
  readonly error: (message: string, fields?: Record<string, unknown>) => void;
  readonly child: (scope: string) => Logger;
};

/** Writes one JSON line per record to stderr (stdout is reserved for the host's ready line). */
export const stderrSink: LogSink = (record) => {
  const line = JSON.stringify({
    time: record.time.toISOString(),
    level: record.level,
    scope: record.scope,
    message: record.message,
    ...record.fields,
  });
  process.stderr.write(`${line}\n`);
};

let currentSink: LogSink = stderrSink;
let minimumLevel: LogLevel = 'info';

/** The composition root picks the sink once at start-up; loggers created earlier follow it. */
export function configureLogging(options: { sink?: LogSink; level?: LogLevel }): void {
  if (options.sink) currentSink = options.sink;
  if (options.level) minimumLevel = options.level;
}

function enabled(level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(minimumLevel);
}

export function createLogger(scope: string, sink?: LogSink): Logger {
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (!enabled(level)) return;
    const record: LogRecord = {
      level,
      scope,
      message: redactString(message),
      fields: fields === undefined ? undefined : (redact(fields) as Record<string, unknown>),
      time: new Date(),
    };
    try {
      (sink ?? currentSink)(record);
    } catch {
      // A broken log transport must never take a sync or an IPC call down with it.
    }
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (child) => createLogger(`${scope}:${child}`, sink),
  };
}

/** Turns an unknown thrown value into loggable fields without leaking secrets. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const status = (error as { status?: unknown }).status;
    return {
      error: error.message,
      errorName: error.name,
      ...(typeof status === 'number' ? { status } : {}),
    };
  }
  return { error: String(error) };
}
