// Entry point of the browser host: `node dist/src/host/main.js` (after `tsc -p
// tsconfig.build.json`) or `node --import tsx src/host/main.ts`. Logs go to stderr; stdout
// carries only the address to open, last line `Reader ready: <url>`.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_PORTS } from '../shared/protocol.js';
import { ConfigError, formatConfigError, readDeviceConfig } from '../main/config.js';
import { createDeviceAuth } from '../main/device-auth.js';
import { configureLogging, createLogger, errorFields } from '../main/logging/logger.js';
import { logUnhandledRejections } from '../main/logging/unhandled-rejections.js';
import { HostAlreadyRunningError } from './host-instance.js';
import { startHost } from './host.js';

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
  const device = readDeviceConfig();
  const parsed = hostEnvSchema.safeParse(process.env);
  if (!parsed.success)
    throw new ConfigError(
      `Invalid host configuration: ${formatConfigError('environment', parsed.error)}`,
    );
  configureLogging({ level: device.logLevel });
  const logger = createLogger('host');
  logUnhandledRejections(logger);

  const dataDir = resolve(parsed.data.ATTACHE_DEVICE_DATA_DIR);
  const host = await startHost({
    dataDir,
    brokerUrl: device.brokerUrl,
    auth: await createDeviceAuth(device, dataDir, logger),
    port: parsed.data.ATTACHE_READER_PORT,
    staticDir: resolve(parsed.data.ATTACHE_READER_STATIC_DIR),
    appVersion: await readAppVersion(),
    logger,
  });
  logger.info('reader host listening', {
    origin: host.origin,
    server: device.brokerUrl,
    authority: device.auth.authority,
  });
  // No system browser to open from here: the reader opens the sign-in page in a new tab, and
  // the address is printed too, for a reader whose browser blocked that tab.
  host.services.events.subscribe((name, payload) => {
    if (name !== 'session:open-browser') return;
    process.stderr.write(`Sign in to Attaché at: ${(payload as { url: string }).url}\n`);
  });

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
