// The managed side of the device, for both entry points (Electron main and the browser host):
// the settings from managed policy, the person and the defaults; the device services' managed
// channels; and, when a required setting has no valid value, the "not set up" services that
// answer the reader with the setting IT must fix and nothing else.
import type { DeviceIdentity } from './device/device-identity.js';
import { loadOrCreateDeviceIdentity } from './device/device-identity.js';
import { createDiagnosticsExporter } from './diagnostics/export-diagnostics.js';
import type { EventBus } from './events/event-bus.js';
import { createEventBus } from './events/event-bus.js';
import type { IpcDispatcher } from './ipc/dispatcher.js';
import { createIpcDispatcher } from './ipc/dispatcher.js';
import type { IpcHandlers } from './ipc/handlers.js';
import type { Logger } from './logging/logger.js';
import { registerPersonalData } from './logging/redact.js';
import type { ConfigService } from './policy/config-service.js';
import { createConfigService } from './policy/config-service.js';
import { policySourceFor } from './policy/read-policy.js';
import type { ConfigMode, PolicySource } from './policy/types.js';
import { createUserSettingsFile } from './policy/user-settings.js';
import { fail, ok } from '../shared/result.js';
import type { IpcChannel, SessionInfo, SyncStatus } from '../shared/ipc.js';
import { IPC_CHANNELS } from '../shared/ipc.js';

export const NOT_SET_UP = 'device-not-set-up';

export type ManagedConfigOptions = {
  readonly dataDir: string;
  readonly appVersion: string;
  readonly mode: ConfigMode;
  readonly environment: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly logger: Logger;
  /** Tests: a policy source of their own. */
  readonly policy?: PolicySource;
};

export async function loadManagedConfig(
  options: ManagedConfigOptions,
): Promise<{ readonly config: ConfigService; readonly device: DeviceIdentity }> {
  const device = await loadOrCreateDeviceIdentity(options.dataDir);
  const picked = options.policy
    ? { source: options.policy, description: 'the given policy source' }
    : policySourceFor(options);
  options.logger.info('reading managed policy', { from: picked.description, mode: options.mode });
  const config = await createConfigService({
    policy: picked.source,
    person: createUserSettingsFile(options.dataDir, (aside) =>
      options.logger.warn('the settings file could not be read and was kept aside', {
        file: aside,
      }),
    ),
    environment: options.environment,
    mode: options.mode,
    device: { id: device.id, appVersion: options.appVersion },
    logger: options.logger,
  });
  return { config, device };
}

/** How often managed policy is read again while the app runs (as browsers do). */
export const POLICY_REFRESH_MS = 15 * 60_000;

/**
 * Keeps the reader current with the settings (policy is read again every POLICY_REFRESH_MS: a
 * changed policy applies to what the reader shows at once, to the store at its next opening),
 * and the logger with who is signed in (their id and name are hashed wherever they appear).
 * Returns the function that stops all of it.
 */
export function attachManaged(
  services: { readonly events: EventBus },
  config: ConfigService,
  options: { readonly refreshMs?: number; readonly logger?: Logger } = {},
): () => void {
  const offConfig = config.onChange((view) => services.events.emit('config:changed', view));
  const timer = setInterval(() => {
    config.refresh().catch((error: unknown) => {
      options.logger?.warn('could not read managed policy again', {
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }, options.refreshMs ?? POLICY_REFRESH_MS);
  timer.unref();
  const offEvents = services.events.subscribe((name, payload) => {
    if (name !== 'session:changed') return;
    const user = (payload as SessionInfo).user;
    if (user) {
      registerPersonalData(user.id);
      registerPersonalData(user.displayName);
    }
  });
  return () => {
    clearInterval(timer);
    offConfig();
    offEvents();
  };
}

/** What the reader talks to when the device is not set up. */
export type NotSetUpServices = {
  readonly dispatch: IpcDispatcher;
  readonly events: EventBus;
  readonly syncStatus: () => SyncStatus;
  readonly start: () => void;
  readonly stop: () => Promise<void>;
};

export function createNotSetUpServices(options: {
  readonly config: ConfigService;
  readonly logDir: string;
  readonly logger: Logger;
}): NotSetUpServices {
  const events = createEventBus();
  const view = options.config.view();
  const problem = view.notSetUp;
  const message = problem
    ? `Attaché is not set up on this device: the setting ${problem.name} (${problem.from}) ${problem.reason}. Contact IT support.`
    : 'Attaché is not set up on this device. Contact IT support.';
  const refuse = () => Promise.resolve(fail<never>(NOT_SET_UP, message));
  const exportDiagnostics = createDiagnosticsExporter({
    logDir: options.logDir,
    config: () => options.config.view(),
    session: () => null,
    syncStatus: () => null,
    briefingCounts: () => Promise.resolve(null),
  });
  const handlers = Object.fromEntries(IPC_CHANNELS.map((channel) => [channel, refuse])) as Record<
    IpcChannel,
    unknown
  >;
  handlers['config:get'] = () => Promise.resolve(ok(options.config.view()));
  handlers['diagnostics:export'] = async () => ok(await exportDiagnostics());
  return {
    dispatch: createIpcDispatcher(handlers as IpcHandlers, options.logger),
    events,
    syncStatus: () => ({ state: 'error', lastSyncedAt: null, pendingUploads: 0, message }),
    start: () => undefined,
    stop: () => Promise.resolve(),
  };
}
