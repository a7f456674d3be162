// Admin CLI for a person's devices and remote wipe (devices/devices-cli.ts), a client of the ops
// server's device endpoints.
//   node dist/server/src/devices-cli.js <command> [options]     (or: npm run devices -- ...)
import { runDevicesCli } from './devices/devices-cli.js';
import { CliError } from './sor/admin-cli.js';

runDevicesCli(process.argv.slice(2), {
  env: process.env,
  fetch: globalThis.fetch,
  out: (text) => process.stdout.write(`${text}\n`),
}).catch((error: unknown) => {
  // A CliError is a mistake to fix, said in one message; anything else is a bug, with its stack.
  const message =
    error instanceof CliError
      ? error.message
      : String(error instanceof Error ? error.stack : error);
  process.stderr.write(`devices: ${message}\n`);
  process.exitCode = 1;
});
