// Composition root of the server process: read and validate config, start, stop on signals.
// Failures nobody caught are logged with their stack before anything else can happen
// (observability/process-faults.ts); an uncaught exception ends the process for its supervisor
// to restart (scripts/start-all.mjs in the quick start; systemd or the container runtime in
// production, docs/operations.md).
import { ConfigError } from './config/types.js';
import { loadConfigFromEnv } from './config/config-schema.js';
import { createLogger, describeError } from './observability/logger.js';
import { handleProcessFaults } from './observability/process-faults.js';
import { startServer } from './server.js';

const log = createLogger('main');
handleProcessFaults({ logger: log, exit: (code) => process.exit(code) });

// Everything this process writes (SQLite stores holding refresh tokens and briefings, LevelDB
// files, logs) is for its own user only, not just the files written as secrets.
process.umask(0o077);

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfigFromEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      log.fatal({ problems: error.problems }, error.message);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const server = await startServer(config);
  log.info(
    {
      sorAdminApi: `${server.urls.sor}/admin/briefings`,
      broker: server.urls.broker,
      ops: `${server.urls.ops}/healthz`,
      adminTokenFile: server.files.adminToken,
      idp: server.urls.idp,
      devCa: server.files.devCa,
    },
    `Ready. Admin token for the demo SOR API/CLI: ${server.files.adminToken}`,
  );
  if (server.urls.idp && server.files.devCa) {
    log.info(
      `Development sign-in: ${server.urls.idp}/ (devices must trust the CA in ${server.files.devCa})`,
    );
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: describeError(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // Settings that only fail once tried (an unreadable secret file, CouchDB refusing the
  // credentials) are configuration errors too: same message shape, same exit code.
  if (error instanceof ConfigError) {
    log.fatal({ problems: error.problems }, error.message);
    process.exit(2);
  }
  log.fatal({ err: describeError(error) }, 'server failed to start');
  process.exit(1);
});
