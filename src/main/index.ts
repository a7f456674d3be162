// Electron main process: the entry point. It only wires: configuration, logging, the device
// services (composition-root.ts, shared with the browser host), IPC, and the one hardened reader
// window.
import { join } from 'node:path';
import type { BrowserWindow } from 'electron';
import { app, ipcMain, session } from 'electron';
import { toDeviceConfig } from './config.js';
import type { DeviceServices } from './composition-root.js';
import { createDeviceAuth } from './device-auth.js';
import { createDeviceServices } from './composition-root.js';
import { registerIpc } from './ipc/ipc.electron.js';
import { createElectronLogSink } from './logging/log-sink.electron.js';
import { configureLogging, createLogger, errorFields } from './logging/logger.js';
import { logUnhandledRejections } from './logging/unhandled-rejections.js';
import type { NotSetUpServices } from './managed-device.js';
import { attachManaged, createNotSetUpServices, loadManagedConfig } from './managed-device.js';
import { blocksScreenCapture } from './policy/classification-policy.js';
import { managedHandlers } from './ipc/managed-handlers.js';
import { createScreenCaptureGuard } from './policy/screen-capture.js';
import { storeCeiling } from './policy/store-ceiling.js';
import { launchWorkspaceThread } from './session/workspace-thread.js';
import { contentProtectionFor } from './windows/content-protection.electron.js';
import {
  createMainWindow,
  guardAnyWebContents,
  hardenSession,
  registerAppScheme,
  serveAppProtocol,
} from './windows/main-window.electron.js';
import { signInLinkPolicy } from './windows/external-links.js';
import { externalOpenerFor } from './windows/external-open.electron.js';
import { APP_ORIGIN } from './windows/security.js';

const logger = createLogger('main');
logUnhandledRejections(logger);

// A second copy would open the same LevelDB files (which LevelDB refuses) and race the first
// one's sync; the running copy is brought forward instead.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerAppScheme();
  let mainWindow: BrowserWindow | null = null;
  let services: DeviceServices | NotSetUpServices | null = null;
  // The person's workspace thread starts now, before Electron is ready: its modules (the store,
  // PouchDB, sync, search) load while the app and its window do, so the first screen does not
  // wait for them (session/workspace-thread.ts). A device not set up ends it unused.
  const spareThread = launchWorkspaceThread(logger);

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  // Defence in depth for any web contents, including ones we never meant to create.
  app.on('web-contents-created', (_event, contents) => guardAnyWebContents(contents));

  app.on('window-all-closed', () => app.quit());

  let stopping = false;
  app.on('before-quit', (event) => {
    if (stopping || !services) return;
    // Let sync settle and the databases close cleanly before the process exits.
    event.preventDefault();
    stopping = true;
    const running = services;
    services = null;
    running
      .stop()
      .catch((error: unknown) =>
        logger.error('device services did not stop cleanly', errorFields(error)),
      )
      .finally(() => app.quit());
  });

  const start = async (): Promise<void> => {
    await app.whenReady();
    const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;
    const allowedOrigins = devServerUrl ? [new URL(devServerUrl).origin] : [APP_ORIGIN];

    const logDir = app.getPath('logs');
    configureLogging({ sink: createElectronLogSink(logDir) });
    hardenSession(session.defaultSession);
    serveAppProtocol(session.defaultSession, join(import.meta.dirname, '../renderer'), logger);

    const dataDir = app.getPath('userData');
    // A packaged app reads only managed policy, the person's settings and the defaults; a
    // development build also environment variables (and says so in the log).
    const { config, device } = await loadManagedConfig({
      dataDir,
      appVersion: app.getVersion(),
      mode: app.isPackaged ? 'production' : 'development',
      environment: process.env,
      platform: process.platform,
      logger,
    });
    const values = config.values();
    if (!values) {
      void spareThread.discard();
      services = createNotSetUpServices({ config, logDir, logger });
    } else {
      const settings = toDeviceConfig(values);
      configureLogging({ level: settings.logLevel });
      const screenCapture = createScreenCaptureGuard({
        apply: contentProtectionFor(() => mainWindow, logger),
        blocks: (marking) => blocksScreenCapture(marking, config.values() ?? values),
      });
      const deviceServices = await createDeviceServices({
        dataDir,
        brokerUrl: settings.brokerUrl,
        auth: await createDeviceAuth(settings, dataDir, logger),
        // The system browser, never a window of ours: the person signs in where their password
        // manager, passkeys and SSO session live, and the app never sees the password.
        // Only ever the configured provider's own https pages (windows/external-links.ts).
        openBrowser: externalOpenerFor(signInLinkPolicy(settings.auth.authority), logger),
        appVersion: app.getVersion(),
        device,
        storeCeiling: storeCeiling(values.classificationCeiling, logger),
        spareThread,
        extendHandlers: managedHandlers({
          config,
          screenCapture,
          // Briefing links through their own allow-list, from AllowedLinkTargets.
          openerFor: (policy) => externalOpenerFor(policy, logger),
          logDir,
          logger,
        }),
        logger,
      });
      attachManaged(deviceServices, config, { logger });
      services = deviceServices;
      logger.info('Attaché started', { version: app.getVersion(), server: settings.brokerUrl });
    }
    registerIpc({
      ipcMain,
      dispatch: services.dispatch,
      events: services.events,
      getWindow: () => mainWindow,
      allowedOrigins,
      logger,
    });

    mainWindow = createMainWindow({
      preloadPath: join(import.meta.dirname, '../preload/index.cjs'),
      ...(devServerUrl ? { devServerUrl } : {}),
      devTools: !app.isPackaged,
      logger,
    });
    mainWindow.on('closed', () => {
      mainWindow = null;
    });
    services.start();
  };

  start().catch((error: unknown) => {
    logger.error('Attaché could not start', errorFields(error));
    app.exit(1);
  });
}
