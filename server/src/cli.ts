// Admin CLI of the demo SOR (sor/admin-cli.ts): a thin client of its HTTP admin API.
//   node dist/server/src/cli.js <command> [options]     (or: node --import tsx server/src/cli.ts)
// Output goes to stdout/stderr directly: this is a command-line tool, not the server's log.
import { CliError, runAdminCli } from './sor/admin-cli.js';

runAdminCli(process.argv.slice(2), {
  env: process.env,
  fetch: globalThis.fetch,
  out: (text) => process.stdout.write(`${text}\n`),
}).catch((error: unknown) => {
  // A CliError is a mistake to fix, said in one message; anything else is a bug, with its stack.
  const message =
    error instanceof CliError
      ? error.message
      : String(error instanceof Error ? error.stack : error);
  process.stderr.write(`sor: ${message}\n`);
  process.exitCode = 1;
});
