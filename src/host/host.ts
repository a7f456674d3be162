// The browser host: where Electron cannot run, the same reader runs in a browser against this
// loopback process, which runs the same device services as the Electron main process.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HOST_KEY_FRAGMENT } from '../shared/protocol.js';
import type { DeviceServices, DeviceServicesOptions } from '../main/composition-root.js';
import { createDeviceServices } from '../main/composition-root.js';
import type { Logger } from '../main/logging/logger.js';
import { createLogger, errorFields } from '../main/logging/logger.js';
import { createBridge } from './bridge-server.js';
import { HostAlreadyRunningError, findRunningHost, recordHost } from './host-instance.js';

export type HostOptions = Omit<DeviceServicesOptions, 'logger' | 'appVersion'> & {
  /** Loopback port; 0 picks a free one. */
  readonly port: number;
  /** Folder of the built reader (out/renderer). */
  readonly staticDir: string;
  readonly appVersion?: string;
  readonly logger?: Logger;
  /** Tests may fix the launch secret; by default it is random per launch. */
  readonly secret?: string;
};

export type RunningHost<S = DeviceServices> = {
  /** What to open in a browser: `http://127.0.0.1:<port>/#key=<secret>`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly secret: string;
  readonly services: S;
  readonly stop: () => Promise<void>;
};

/** What the bridge serves: the device services, or the "not set up" ones. */
export type HostedServices = Pick<
  DeviceServices,
  'dispatch' | 'events' | 'syncStatus' | 'start' | 'stop'
>;

export type ServeOptions = Pick<HostOptions, 'port' | 'staticDir' | 'secret' | 'dataDir'> & {
  readonly logger?: Logger;
};

const BIND_ADDRESS = '127.0.0.1';

/** Throws HostAlreadyRunningError when another reader host serves `dataDir` (host-instance.ts). */
export async function refuseSecondHost(dataDir: string): Promise<void> {
  const running = await findRunningHost(dataDir);
  if (running) throw new HostAlreadyRunningError(running);
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const logger = options.logger ?? createLogger('host');
  const secret = options.secret ?? randomBytes(32).toString('base64url');

  // Before anything opens the person's store: one host per data folder (host-instance.ts).
  await refuseSecondHost(options.dataDir);

  // The store opens from disk without the network: briefings already synced are served even
  // when the server is unreachable (within the offline policy), while sync keeps retrying.
  const services = await createDeviceServices({
    ...options,
    appVersion: options.appVersion ?? '0.0.0',
    logger,
  });
  return serveReader(services, { ...options, logger, secret });
}

/** Serves the reader and the bridge to `services` on loopback. */
export async function serveReader<S extends HostedServices>(
  services: S,
  options: ServeOptions,
): Promise<RunningHost<S>> {
  const logger = options.logger ?? createLogger('host');
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  let port = 0;
  const bridge = createBridge({
    secret,
    dispatch: services.dispatch,
    events: services.events,
    currentStatus: () => services.syncStatus(),
    staticDir: options.staticDir,
    logger: logger.child('bridge'),
    port: () => port,
  });
  const server = createServer(bridge.handle);
  // Slow or idle clients must not hold the process (event streams are long-lived by design).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, BIND_ADDRESS, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await services.stop();
    throw error;
  }
  port = (server.address() as AddressInfo).port;
  const origin = `http://${BIND_ADDRESS}:${port}`;
  const release = await recordHost(options.dataDir, origin);
  services.start();

  let stopped: Promise<void> | null = null;
  return {
    url: `${origin}/#${HOST_KEY_FRAGMENT}=${secret}`,
    origin,
    secret,
    services,
    stop: () => {
      stopped ??= (async () => {
        bridge.closeStreams();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        try {
          await services.stop();
        } catch (error) {
          logger.error('device services did not stop cleanly', errorFields(error));
        }
        await release();
      })();
      return stopped;
    },
  };
}
