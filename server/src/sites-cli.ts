// The operator's command for a second site (sites/sites-cli.ts): replication documents, their
// state and lag, and compaction of what unshares removed.
//   node dist/server/src/sites-cli.js <command> [options]     (or: npm run sites -- ...)
import { runAsCommand } from './cli/run-as-command.js';
import { runSitesCli } from './sites/sites-cli.js';

runAsCommand('sites', runSitesCli);
