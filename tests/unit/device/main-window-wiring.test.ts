// main-window.electron.ts must actually apply the policy that window-security.test.ts checks as
// pure functions. Electron cannot run under Node, so `electron` is replaced by small fakes that
// record what the module hands them (window options, handlers), and the tests then drive those
// handlers the way Electron would.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Session, WebContents } from 'electron';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createMainWindow,
  guardAnyWebContents,
  hardenSession,
  registerAppScheme,
  serveAppProtocol,
} from '../../../src/main/windows/main-window.electron.js';
import {
  APP_ENTRY_URL,
  APP_SCHEME,
  CONTENT_SECURITY_POLICY,
  SECURITY_HEADERS,
} from '../../../src/main/windows/security.js';
import { memoryLogger, tempDir } from './fixtures.js';

type Handler = (...args: never[]) => unknown;

const fakes = vi.hoisted(() => {
  /** Records every handler by event name, and calls them like an EventEmitter. */
  class FakeEmitter {
    readonly handlers = new Map<string, Handler[]>();
    on(name: string, handler: Handler): this {
      this.handlers.set(name, [...(this.handlers.get(name) ?? []), handler]);
      return this;
    }
    once(name: string, handler: Handler): this {
      return this.on(name, handler);
    }
    emit(name: string, ...args: unknown[]): boolean {
      const list = this.handlers.get(name) ?? [];
      for (const handler of list) (handler as (...a: unknown[]) => unknown)(...args);
      return list.length > 0;
    }
  }

  class FakeWebContents extends FakeEmitter {
    windowOpenHandler: ((details: { url: string }) => unknown) | null = null;
    setWindowOpenHandler(handler: (details: { url: string }) => unknown): void {
      this.windowOpenHandler = handler;
    }
  }

  class FakeBrowserWindow extends FakeEmitter {
    static readonly created: FakeBrowserWindow[] = [];
    readonly webContents = new FakeWebContents();
    readonly loaded: string[] = [];
    shown = 0;
    constructor(readonly options: Record<string, unknown>) {
      super();
      FakeBrowserWindow.created.push(this);
    }
    loadURL(url: string): Promise<void> {
      this.loaded.push(url);
      return Promise.resolve();
    }
    show(): void {
      this.shown += 1;
    }
  }

  return {
    FakeEmitter,
    FakeWebContents,
    FakeBrowserWindow,
    registerSchemesAsPrivileged: [] as unknown[],
  };
});

vi.mock('electron', () => ({
  BrowserWindow: fakes.FakeBrowserWindow,
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown) => {
      fakes.registerSchemesAsPrivileged.push(schemes);
    },
  },
}));

type ProtocolHandler = (request: { url: string }) => Promise<Response>;
type PermissionRequestHandler = (
  webContents: unknown,
  permission: string,
  callback: (granted: boolean) => void,
) => void;
type PermissionCheckHandler = (webContents: unknown, permission: string) => boolean;
type HeadersHandler = (
  details: { responseHeaders?: Record<string, string[]> },
  callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
) => void;

/** The parts of Electron's Session the module uses, each recording its handler. */
function fakeSession() {
  const recorded: {
    protocol: Map<string, ProtocolHandler>;
    permissionRequest?: PermissionRequestHandler;
    permissionCheck?: PermissionCheckHandler;
    devicePermission?: () => boolean;
    headersReceived?: HeadersHandler;
  } = { protocol: new Map() };
  const session = {
    protocol: {
      handle: (scheme: string, handler: ProtocolHandler) => recorded.protocol.set(scheme, handler),
    },
    setPermissionRequestHandler: (handler: PermissionRequestHandler) => {
      recorded.permissionRequest = handler;
    },
    setPermissionCheckHandler: (handler: PermissionCheckHandler) => {
      recorded.permissionCheck = handler;
    },
    setDevicePermissionHandler: (handler: () => boolean) => {
      recorded.devicePermission = handler;
    },
    webRequest: {
      onHeadersReceived: (handler: HeadersHandler) => {
        recorded.headersReceived = handler;
      },
    },
  };
  return { session: session as unknown as Session, recorded };
}

/** What Electron passes to will-navigate and friends: only preventDefault matters here. */
function navigationEvent() {
  return { preventDefault: vi.fn() };
}

function lastWindow() {
  const window = fakes.FakeBrowserWindow.created.at(-1);
  if (!window) throw new Error('no BrowserWindow was created');
  return window;
}

describe('the app scheme', () => {
  it('is registered as a standard, secure scheme before the app is ready', () => {
    registerAppScheme();
    expect(fakes.registerSchemesAsPrivileged).toEqual([
      [
        {
          scheme: APP_SCHEME,
          privileges: expect.objectContaining({ standard: true, secure: true }) as unknown,
        },
      ],
    ]);
  });
});

describe('createMainWindow', () => {
  const log = memoryLogger();

  beforeEach(() => {
    log.records.length = 0;
    createMainWindow({
      preloadPath: '/app/preload/index.cjs',
      devTools: false,
      logger: log.logger,
    });
  });

  it('gives BrowserWindow the secure web preferences', () => {
    const { options } = lastWindow();
    expect(options['show']).toBe(false);
    expect(options['webPreferences']).toMatchObject({
      preload: '/app/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      devTools: false,
    });
  });

  it('loads the reader from the app protocol and shows it once ready', () => {
    const window = lastWindow();
    expect(window.loaded).toEqual([APP_ENTRY_URL]);
    expect(window.shown).toBe(0);
    window.emit('ready-to-show');
    expect(window.shown).toBe(1);
  });

  it('denies every new window', () => {
    const { webContents } = lastWindow();
    expect(webContents.windowOpenHandler).not.toBeNull();
    expect(webContents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({
      action: 'deny',
    });
    expect(log.records.map((record) => record.message)).toContain('denied a new window');
  });

  for (const name of ['will-navigate', 'will-redirect']) {
    it(`on ${name}, stops a move to another origin and lets the reader's own origin through`, () => {
      const { webContents } = lastWindow();
      for (const foreign of [
        'https://example.com/',
        'file:///etc/passwd',
        'attache://evil/index.html',
        'attache://user:pw@app/index.html',
        'javascript:alert(1)',
      ]) {
        const event = navigationEvent();
        expect(webContents.emit(name, event, foreign)).toBe(true);
        expect(event.preventDefault, foreign).toHaveBeenCalled();
      }
      const own = navigationEvent();
      webContents.emit(name, own, `${APP_ENTRY_URL}#briefing`);
      expect(own.preventDefault).not.toHaveBeenCalled();
    });
  }

  it('prevents every webview from attaching', () => {
    const event = navigationEvent();
    expect(lastWindow().webContents.emit('will-attach-webview', event, {}, {})).toBe(true);
    expect(event.preventDefault).toHaveBeenCalled();
  });

  it('with a dev server, allows only that origin', () => {
    createMainWindow({
      preloadPath: '/app/preload/index.cjs',
      devServerUrl: 'http://localhost:5173',
      devTools: true,
      logger: log.logger,
    });
    const window = lastWindow();
    expect(window.loaded).toEqual(['http://localhost:5173']);
    expect(window.options['webPreferences']).toMatchObject({ devTools: true, sandbox: true });
    const own = navigationEvent();
    window.webContents.emit('will-navigate', own, 'http://localhost:5173/src/index.html');
    expect(own.preventDefault).not.toHaveBeenCalled();
    const other = navigationEvent();
    window.webContents.emit('will-navigate', other, 'http://localhost:5174/');
    expect(other.preventDefault).toHaveBeenCalled();
  });
});

describe('guardAnyWebContents', () => {
  it('denies new windows and webviews on any web contents', () => {
    const contents = new fakes.FakeWebContents();
    guardAnyWebContents(contents as unknown as WebContents);
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({
      action: 'deny',
    });
    const event = navigationEvent();
    expect(contents.emit('will-attach-webview', event, {}, {})).toBe(true);
    expect(event.preventDefault).toHaveBeenCalled();
  });
});

describe('hardenSession', () => {
  const { session, recorded } = fakeSession();
  hardenSession(session);

  it('denies every permission request and check, and every device', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read']) {
      const callback = vi.fn();
      recorded.permissionRequest?.({}, permission, callback);
      expect(callback).toHaveBeenCalledExactlyOnceWith(false);
      expect(recorded.permissionCheck?.({}, permission)).toBe(false);
    }
    expect(recorded.devicePermission?.()).toBe(false);
  });

  it('puts the CSP on every response, replacing any the response brought', () => {
    const callback = vi.fn();
    recorded.headersReceived?.(
      {
        responseHeaders: {
          'Content-Type': ['text/html'],
          'Content-Security-Policy': ["script-src 'unsafe-inline'"],
        },
      },
      callback,
    );
    expect(callback).toHaveBeenCalledExactlyOnceWith({
      responseHeaders: {
        'Content-Type': ['text/html'],
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    });
  });
});

describe('serveAppProtocol', () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  let serve: ProtocolHandler;
  const log = memoryLogger();

  beforeAll(async () => {
    root = await tempDir('app-protocol');
    const rendererDir = join(root.path, 'renderer');
    await mkdir(join(rendererDir, 'assets'), { recursive: true });
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Attaché</title>');
    await writeFile(join(rendererDir, 'assets', 'app.js'), 'export {};');
    // Beside the renderer folder, so a traversal that escaped it would find this file.
    await writeFile(join(root.path, 'secret.txt'), 'not for the page');
    const { session, recorded } = fakeSession();
    serveAppProtocol(session, rendererDir, log.logger);
    const handler = recorded.protocol.get(APP_SCHEME);
    if (!handler) throw new Error(`no handler for ${APP_SCHEME}:`);
    serve = handler;
  });

  afterAll(async () => {
    await root.remove();
  });

  it('serves the reader with every security header', async () => {
    for (const [url, type, body] of [
      ['attache://app/', 'text/html; charset=utf-8', '<title>Attaché</title>'],
      ['attache://app/index.html', 'text/html; charset=utf-8', '<title>Attaché</title>'],
      ['attache://app/assets/app.js', 'text/javascript; charset=utf-8', 'export {};'],
    ] as const) {
      const response = await serve({ url });
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        expect(response.headers.get(name), `${url} ${name}`).toBe(value);
      }
      expect(await response.text()).toContain(body);
    }
  });

  it('answers 404 outside the renderer folder, on another host, or for a missing file', async () => {
    for (const url of [
      'attache://app/..%2fsecret.txt',
      'attache://app/%2e%2e%2fsecret.txt',
      'attache://app/assets/..%5c..%5csecret.txt',
      'attache://other/index.html',
      'attache://app/missing.js',
    ]) {
      const response = await serve({ url });
      expect(response.status, url).toBe(404);
      expect(await response.text(), url).not.toContain('not for the page');
    }
  });
});
