// What the server process does with a failure nobody caught, so that it never ends without a
// word in the log.
//
// An exception that reached the event loop leaves the process in a state nobody can vouch for
// (a half-updated structure, a lock still held), and Node's own advice is not to carry on: it is
// logged as fatal, with its stack and what the process was, and the process exits with 1 for
// its supervisor to start a clean one (crash-only: docs/operations.md, "Supervision").
//
// A rejected promise nobody awaited is different: the code that made it has moved on and its
// state is whatever it left, as after any handled failure. Node would end the process for it
// (its default since Node 15), taking every device's sync with it for a failure that concerned
// one request; it is logged as an error, with its stack, and the process goes on.
import type { Logger } from './logger.js';

export type FaultTarget = Pick<NodeJS.Process, 'on' | 'off'>;

function details(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack ? { stack: error.stack } : {}),
      ...(error.cause !== undefined ? { cause: details(error.cause) } : {}),
    };
  }
  return { message: String(error) };
}

/** Installs the handlers on `target` (the process); returns the function that removes them. */
export function handleProcessFaults(deps: {
  readonly logger: Logger;
  readonly exit: (code: number) => void;
  readonly target?: FaultTarget;
  readonly uptimeSec?: () => number;
}): () => void {
  const target = deps.target ?? process;
  const uptimeSec = deps.uptimeSec ?? (() => Math.round(process.uptime()));
  const context = () => ({ pid: process.pid, uptimeSec: uptimeSec() });

  const onException = (error: unknown, origin: string): void => {
    deps.logger.fatal(
      { err: details(error), origin, ...context() },
      'uncaught exception: the process stops so that its supervisor starts a clean one',
    );
    deps.exit(1);
  };
  const onRejection = (reason: unknown): void => {
    deps.logger.error(
      { err: details(reason), origin: 'unhandledRejection', ...context() },
      'a failed operation was not handled; the server goes on',
    );
  };
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('uncaughtException', onException);
    target.off('unhandledRejection', onRejection);
  };
}
