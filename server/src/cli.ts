// Admin CLI of the demo SOR (sor/admin-cli.ts): a thin client of its HTTP admin API.
//   node dist/server/src/cli.js <command> [options]     (or: node --import tsx server/src/cli.ts)
// Output goes to stdout/stderr directly: this is a command-line tool, not the server's log.
import { runAsCommand } from './cli/run-as-command.js';
import { runAdminCli } from './demo/sor/admin-cli.js';

runAsCommand('sor', runAdminCli);
