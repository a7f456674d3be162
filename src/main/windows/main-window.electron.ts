// Applies the policy in security.ts to Electron: the app protocol that serves the built reader
// with its CSP, a hardened session, and the one reader window.
import { readFile } from 'node:fs/promises';
import type { Session, WebContents, WebPreferences } from 'electron';
import { BrowserWindow, protocol } from 'electron';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import {
  APP_ENTRY_URL,
  APP_HOST,
  APP_SCHEME,
  CONTENT_SECURITY_POLICY,
  SECURITY_HEADERS,
  isNavigationAllowed,
  permissionDecision,
  secureWebPreferences,
  windowOpenDecision,
} from './security.js';
import { contentTypeFor, resolveStaticPath } from './static-assets.js';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    // standard: a real origin (attache://app) for 'self' and relative URLs; secure: a secure
    // context; corsEnabled: Vite's module scripts and the pdf.js module worker load in CORS mode.
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
    },
  ]);
}

/** Serves `rendererDir` (out/renderer) on attache://app/, with the security headers. */
export function serveAppProtocol(session: Session, rendererDir: string, logger: Logger): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const path = url.host === APP_HOST ? resolveStaticPath(rendererDir, url.pathname) : null;
    if (!path) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(path);
      return new Response(new Uint8Array(body), {
        status: 200,
        headers: { 'Content-Type': contentTypeFor(path), ...SECURITY_HEADERS },
      });
    } catch (error) {
      logger.warn('app protocol could not serve a file', {
        path: url.pathname,
        ...errorFields(error),
      });
      return new Response('Not found', { status: 404 });
    }
  });
}

/** Session-wide denials: every permission, and the CSP on anything loaded over http(s) (dev server). */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_webContents, permission, callback) =>
    callback(permissionDecision(permission)),
  );
  session.setPermissionCheckHandler((_webContents, permission) => permissionDecision(permission));
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    });
  });
}

/**
 * Defence in depth for every web contents the app ever gets, including ones it never meant to
 * create: no new windows, no webviews. index.ts applies it on `web-contents-created`.
 */
export function guardAnyWebContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => windowOpenDecision());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export type MainWindowOptions = {
  readonly preloadPath: string;
  /** electron-vite dev server URL in development; the app protocol otherwise. */
  readonly devServerUrl?: string;
  readonly devTools: boolean;
  readonly logger: Logger;
};

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const { logger } = options;
  const entryUrl = options.devServerUrl ?? APP_ENTRY_URL;
  const allowedOrigins = [new URL(entryUrl).protocol + '//' + new URL(entryUrl).host];
  const webPreferences = secureWebPreferences({
    preloadPath: options.preloadPath,
    devTools: options.devTools,
  }) satisfies WebPreferences;

  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Attaché',
    webPreferences,
  });

  const contents = window.webContents;
  contents.setWindowOpenHandler((details) => {
    logger.warn('denied a new window', { url: details.url.slice(0, 200) });
    return windowOpenDecision();
  });
  const guard = (event: { preventDefault: () => void }, url: string): void => {
    if (isNavigationAllowed(url, allowedOrigins)) return;
    event.preventDefault();
    logger.warn('denied a navigation', { url: url.slice(0, 200) });
  };
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());

  window
    .loadURL(entryUrl)
    .catch((error: unknown) => logger.error('could not load the reader', errorFields(error)));
  return window;
}
