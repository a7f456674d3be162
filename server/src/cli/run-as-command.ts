// Runs an admin CLI (the demo SOR's, the devices') as a command: its arguments and environment
// in, its output on stdout. A CliError is a mistake for the person to fix, said in one line on
// stderr; anything else is a bug, printed with its stack. Either way the exit code is 1.
import { CliError } from './cli-error.js';
import type { CliDeps } from './cli-error.js';

export function runAsCommand(
  name: string,
  run: (argv: readonly string[], deps: CliDeps) => Promise<void>,
): void {
  run(process.argv.slice(2), {
    env: process.env,
    fetch: globalThis.fetch,
    out: (text) => process.stdout.write(`${text}\n`),
  }).catch((error: unknown) => {
    const message =
      error instanceof CliError
        ? error.message
        : String(error instanceof Error ? error.stack : error);
    process.stderr.write(`${name}: ${message}\n`);
    process.exitCode = 1;
  });
}
