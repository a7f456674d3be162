// The reader window's security policy, as plain data and pure functions so that every secure
// default is unit-tested under Node. `main-window.electron.ts` applies it; the browser host
// sends the same Content-Security-Policy.

/**
 * The reader is served from a privileged custom scheme rather than file://: file URLs share one
 * opaque origin with the whole disk, and Electron cannot attach response headers (the CSP) to
 * them.
 */
export const APP_SCHEME = 'attache';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Mirrors the Electron WebPreferences keys we set (this file may not import electron). */
export type SecureWebPreferences = {
  readonly preload: string;
  readonly contextIsolation: true;
  readonly sandbox: true;
  readonly nodeIntegration: false;
  readonly nodeIntegrationInWorker: false;
  readonly nodeIntegrationInSubFrames: false;
  readonly webSecurity: true;
  readonly allowRunningInsecureContent: false;
  readonly experimentalFeatures: false;
  readonly webviewTag: false;
  readonly navigateOnDragDrop: false;
  readonly safeDialogs: true;
  readonly spellcheck: false;
  readonly devTools: boolean;
};

export function secureWebPreferences(options: {
  preloadPath: string;
  devTools: boolean;
}): SecureWebPreferences {
  return {
    preload: options.preloadPath,
    // The renderer gets no Node, no Electron internals, and its own JavaScript world.
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    // Dropping a file on the window must not navigate away from the reader.
    navigateOnDragDrop: false,
    safeDialogs: true,
    // Spellcheck would send typed notes to a dictionary service.
    spellcheck: false,
    devTools: options.devTools,
  };
}

export type CspDirectives = Readonly<Record<string, readonly string[]>>;

/**
 * Everything from the app's own origin and nothing else. No 'unsafe-eval', no inline script;
 * data:/blob: only where pdf.js and images need them (they cannot execute script there).
 */
export const CSP_DIRECTIVES: CspDirectives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  // The browser host bridge and its event stream are same-origin; Electron uses IPC.
  'connect-src': ["'self'"],
  'worker-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'frame-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

export function buildContentSecurityPolicy(directives: CspDirectives = CSP_DIRECTIVES): string {
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(' '))
    .join('; ');
}

export const CONTENT_SECURITY_POLICY = buildContentSecurityPolicy();

/** Other headers every response of the reader carries (Electron protocol and browser host). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
};

/** `scheme://host` of a URL; WHATWG gives custom schemes an opaque ("null") origin. */
function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/**
 * The window may only (re)load the reader itself: its own origin, or the electron-vite dev
 * server in development. Everything else (web pages, file:, javascript:, data:) is refused.
 */
export function isNavigationAllowed(
  target: string,
  allowedOrigins: readonly string[] = [APP_ORIGIN],
): boolean {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  return allowedOrigins.includes(originOf(url));
}

/** The frame an IPC message came from, as far as the policy needs to know it. */
export type SenderFrame = {
  readonly url: string | undefined;
  /** The window's main frame: no parent frame, in the reader window's own web contents. */
  readonly isTopFrame: boolean;
};

/**
 * Whether an IPC message comes from the reader's own top frame. A child frame (an iframe the CSP
 * should already have stopped) is refused even on the reader's origin: nothing but the reader's
 * document itself may use the contract.
 */
export function isTrustedSender(
  frame: SenderFrame | null | undefined,
  allowedOrigins: readonly string[] = [APP_ORIGIN],
): boolean {
  return (
    frame?.isTopFrame === true &&
    frame.url !== undefined &&
    isNavigationAllowed(frame.url, allowedOrigins)
  );
}

/** New windows (window.open, target=_blank) are never created. */
export function windowOpenDecision(): { action: 'deny' } {
  return { action: 'deny' };
}

/** Camera, microphone, notifications, geolocation, ...: the reader needs none, so all are denied. */
export function permissionDecision(_permission: string): false {
  return false;
}
