// Entry point of the browser host: `node dist/src/host/main.js` (after `tsc -p
// tsconfig.build.json`) or `node --import tsx src/host/main.ts`. Logs go to stderr; stdout
// carries only the address to open, last line `Reader ready: <url>`.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_PORTS } from '../shared/protocol.js';
import { ConfigError, toDeviceConfig } from '../main/config.js';
import { createDeviceAuth } from '../main/device-auth.js';
import { createFileLogSink } from '../main/logging/log-sink.file.js';
import { configureLogging, createLogger, errorFields, stderrSink } from '../main/logging/logger.js';
import { logUnhandledRejections } from '../main/logging/unhandled-rejections.js';
import {
  attachManaged,
  createNotSetUpServices,
  loadManagedConfig,
} from '../main/managed-device.js';
import { managedHandlers } from '../main/ipc/managed-handlers.js';
import { storeCeiling } from '../main/policy/store-ceiling.js';
import { HostAlreadyRunningError } from './host-instance.js';
import type { RunningHost } from './host.js';
import { refuseSecondHost, serveReader, startHost } from './host.js';

const hostEnvSchema = z.object({
  /** Where the device's local stores live. */
  ATTACHE_DEVICE_DATA_DIR: z.string().min(1).default('.data/device'),
  /** Loopback port of the reader host (0: any free port). */
  ATTACHE_READER_PORT: z.coerce.number().int().min(0).max(65_535).default(DEFAULT_PORTS.reader),
  /** The built reader (electron-vite's renderer output). */
  ATTACHE_READER_STATIC_DIR: z.string().min(1).default('out/renderer'),
});

/** The product version from the nearest package.json (src/host/ and dist/src/host/ alike). */
async function readAppVersion(): Promise<string> {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
        version?: unknown;
      };
      if (typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No manifest here; keep walking up.
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}

async function main(): Promise<void> {
  const parsed = hostEnvSchema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid host configuration: ${problems.join('; ')}`);
  }
  const dataDir = resolve(parsed.data.ATTACHE_DEVICE_DATA_DIR);
  // Logs go to stderr (the terminal, the tests) and to the rotating files that "export
  // diagnostics" collects, as the desktop app's do.
  const logDir = join(dataDir, 'logs');
  const fileSink = createFileLogSink({ dir: logDir });
  configureLogging({
    sink: (record) => {
      stderrSink(record);
      fileSink(record);
    },
  });
  const logger = createLogger('host');
  logUnhandledRejections(logger);

  const appVersion = await readAppVersion();
  // The browser host is the development and test stand-in for the desktop app: environment
  // variables count (and the log says which), and ATTACHE_POLICY_FILE may name a policy file.
  const { config, device } = await loadManagedConfig({
    dataDir,
    appVersion,
    mode: 'development',
    environment: process.env,
    platform: process.platform,
    logger,
  });
  const serve = {
    dataDir,
    port: parsed.data.ATTACHE_READER_PORT,
    staticDir: resolve(parsed.data.ATTACHE_READER_STATIC_DIR),
    logger,
  };
  const values = config.values();
  let host: RunningHost<{ readonly stop: () => Promise<void> }>;
  if (!values) {
    // The reader shows "not set up on this device", naming the setting; nothing else runs.
    await refuseSecondHost(dataDir);
    host = await serveReader(createNotSetUpServices({ config, logDir, logger }), serve);
  } else {
    const settings = toDeviceConfig(values);
    configureLogging({ level: settings.logLevel });
    const running = await startHost({
      ...serve,
      brokerUrl: settings.brokerUrl,
      auth: await createDeviceAuth(settings, dataDir, logger),
      appVersion,
      device,
      storeCeiling: storeCeiling(values.classificationCeiling, logger),
      // A browser's window cannot be kept out of screenshots, and links open in its own tabs.
      extendHandlers: managedHandlers({
        config,
        screenCapture: null,
        openerFor: null,
        logDir,
        logger,
      }),
    });
    attachManaged(running.services, config, { logger });
    logger.info('reader host listening', {
      origin: running.origin,
      server: settings.brokerUrl,
      authority: settings.auth.authority,
    });
    // No system browser to open from here: the reader opens the sign-in page in a new tab, and
    // the address is printed too, for a reader whose browser blocked that tab.
    running.services.events.subscribe((name, payload) => {
      if (name !== 'session:open-browser') return;
      process.stderr.write(`Sign in to Attaché at: ${(payload as { url: string }).url}\n`);
    });
    host = running;
  }

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping reader host', { signal });
    host
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error('reader host did not stop cleanly', errorFields(error));
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  process.stdout.write(`Open the Attaché reader at ${host.url}\n`);
  // Parsed by scripts and the end-to-end harness: keep it the last line, in this form.
  process.stdout.write(`Reader ready: ${host.url}\n`);
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError || error instanceof HostAlreadyRunningError
      ? error.message
      : 'The reader host could not start.';
  process.stderr.write(`${message}\n`);
  createLogger('host').error('start-up failed', errorFields(error));
  process.exit(1);
});
