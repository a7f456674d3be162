// Admin CLI for a person's devices and remote wipe (devices/devices-cli.ts), a client of the ops
// server's device endpoints.
//   node dist/server/src/devices-cli.js <command> [options]     (or: npm run devices -- ...)
import { runAsCommand } from './cli/run-as-command.js';
import { runDevicesCli } from './devices/devices-cli.js';

runAsCommand('devices', runDevicesCli);
