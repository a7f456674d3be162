// Entry of the embedded CouchDB-protocol server's own process (started and supervised by
// embedded-couch-process.ts). It learns what it needs over the IPC channel, never from its
// arguments or environment (others on the machine can read those): its folder, its socket and
// the admin credentials it must set. It holds nothing else of the server's (no service secret,
// provider keys or admin token), and when the server goes away, so does it.
import { setLogLevel } from '../observability/logger.js';
import type { LogLevel } from '../observability/logger.js';
import { LOG_LEVELS } from '../observability/logger.js';
import { createLogger, describeError } from '../observability/logger.js';
import { startEmbeddedCouch } from './embedded-couch.pouch.js';
import type { EmbeddedCouch } from './types.js';

/** Messages between the server and this process. */
export type ChildStart = {
  readonly type: 'start';
  readonly couchDir: string;
  readonly socketPath: string;
  readonly admin: { readonly username: string; readonly password: string };
  readonly logLevel: LogLevel;
};
export type ChildReport =
  { readonly type: 'ready' } | { readonly type: 'failed'; readonly message: string };

const log = createLogger('couch');
let couch: EmbeddedCouch | null = null;

function isStart(message: unknown): message is ChildStart {
  const m = message as Partial<ChildStart> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.type === 'start' &&
    typeof m.couchDir === 'string' &&
    typeof m.socketPath === 'string' &&
    typeof m.admin?.username === 'string' &&
    typeof m.admin.password === 'string' &&
    (LOG_LEVELS as readonly string[]).includes(String(m.logLevel))
  );
}

function report(message: ChildReport): void {
  process.send?.(message);
}

async function stopAndExit(code: number): Promise<never> {
  try {
    await couch?.stop();
  } catch (error) {
    log.error(
      { err: describeError(error) },
      'stopping the embedded CouchDB-protocol server failed',
    );
  }
  process.exit(code);
}

process.on('message', (message: unknown) => {
  if (isStart(message) && !couch) {
    setLogLevel(message.logLevel);
    startEmbeddedCouch(message).then(
      (started) => {
        couch = started;
        report({ type: 'ready' });
      },
      (error: unknown) => {
        report({ type: 'failed', message: describeError(error).message });
        process.exit(1);
      },
    );
  } else if ((message as { type?: unknown } | null)?.type === 'stop') {
    void stopAndExit(0);
  }
});
// The server process ended (even killed): nothing may keep serving its data without it.
process.on('disconnect', () => process.exit(0));
