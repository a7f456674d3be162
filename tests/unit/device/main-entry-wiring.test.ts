// src/main/index.ts must install the defence-in-depth guard on every web contents the app gets
// and register the app scheme before the app is ready, and keep to one instance: a second copy
// quits before it wires or opens anything, and the running one comes forward. Electron is
// replaced by a fake `app` that records its handlers and becomes ready only when a test says so;
// the managed configuration, IPC registration and the window are stand-ins for the same reason
// (no Electron binary here), so importing the entry point runs its real wiring and nothing else.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type * as ManagedDevice from '../../../src/main/managed-device.js';
import type * as MainWindow from '../../../src/main/windows/main-window.electron.js';
import { eventuallyValue } from '../../support/eventually.js';

type Handler = (...args: unknown[]) => unknown;

const recorded = vi.hoisted(() => {
  let markReady: () => void = () => undefined;
  return {
    lockGranted: true,
    appHandlers: new Map<string, Handler>(),
    privilegedSchemes: [] as unknown[],
    quits: 0,
    whenReadyCalls: 0,
    ready: new Promise<void>((resolve) => {
      markReady = resolve;
    }),
    markReady: () => markReady(),
    window: null as null | {
      minimized: boolean;
      restored: number;
      focused: number;
      isMinimized: () => boolean;
      restore: () => void;
      focus: () => void;
      on: () => void;
    },
  };
});

vi.mock('electron', () => ({
  app: {
    requestSingleInstanceLock: () => recorded.lockGranted,
    quit: () => {
      recorded.quits += 1;
    },
    exit: () => undefined,
    on: (name: string, handler: Handler) => {
      recorded.appHandlers.set(name, handler);
    },
    whenReady: () => {
      recorded.whenReadyCalls += 1;
      return recorded.ready;
    },
    isPackaged: true,
    getPath: (name: string) => `/nonexistent/attache-test/${name}`,
    getVersion: () => '1.0.0-test',
  },
  ipcMain: {},
  session: { defaultSession: {} },
  shell: {},
  BrowserWindow: class {},
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown) => {
      recorded.privilegedSchemes.push(schemes);
    },
  },
}));

// electron-log needs a running Electron; the entry point's log records go nowhere here.
vi.mock('../../../src/main/logging/log-sink.electron.js', () => ({
  createElectronLogSink: () => () => undefined,
}));

// Stand-ins: nothing is set up (no policy), so the entry point serves the not-set-up answers.
vi.mock('../../../src/main/managed-device.js', async (importOriginal) => ({
  ...(await importOriginal<typeof ManagedDevice>()),
  loadManagedConfig: () =>
    Promise.resolve({ config: { values: () => null }, device: { id: 'test', label: 'test' } }),
  createNotSetUpServices: () => ({
    dispatch: () => Promise.resolve({ ok: true, value: null }),
    events: { emit: () => undefined, subscribe: () => () => undefined },
    syncStatus: () => null,
    start: () => undefined,
    stop: () => Promise.resolve(),
  }),
}));
vi.mock('../../../src/main/ipc/ipc.electron.js', () => ({ registerIpc: () => undefined }));
vi.mock('../../../src/main/windows/main-window.electron.js', async (importOriginal) => ({
  ...(await importOriginal<typeof MainWindow>()),
  hardenSession: () => undefined,
  serveAppProtocol: () => undefined,
  createMainWindow: () => {
    const window = {
      minimized: true,
      restored: 0,
      focused: 0,
      isMinimized: () => window.minimized,
      restore: () => {
        window.restored += 1;
        window.minimized = false;
      },
      focus: () => {
        window.focused += 1;
      },
      on: () => undefined,
    };
    recorded.window = window;
    return window;
  },
}));

class FakeWebContents {
  windowOpenHandler: ((details: { url: string }) => unknown) | null = null;
  readonly handlers = new Map<string, Handler>();
  setWindowOpenHandler(handler: (details: { url: string }) => unknown): void {
    this.windowOpenHandler = handler;
  }
  on(name: string, handler: Handler): this {
    this.handlers.set(name, handler);
    return this;
  }
}

async function until(what: string, condition: () => boolean): Promise<void> {
  await eventuallyValue(condition, { what, timeout: 5_000, interval: 10 });
}

describe('Electron entry point, holding the single-instance lock', () => {
  beforeAll(async () => {
    await import('../../../src/main/index.js');
  });

  it('registers the privileged app scheme before the app is ready', () => {
    expect(recorded.privilegedSchemes).toHaveLength(1);
  });

  it('guards every web contents created: no new windows, no webviews', () => {
    const created = recorded.appHandlers.get('web-contents-created');
    expect(created).toBeDefined();
    const contents = new FakeWebContents();
    created?.({}, contents);
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({
      action: 'deny',
    });
    const event = { preventDefault: vi.fn() };
    contents.handlers.get('will-attach-webview')?.(event, {}, {});
    expect(event.preventDefault).toHaveBeenCalled();
  });

  it('brings its window forward when a second copy is started', async () => {
    const secondInstance = recorded.appHandlers.get('second-instance');
    expect(secondInstance).toBeDefined();
    // Before the window exists there is nothing to bring forward, and nothing fails.
    secondInstance?.({}, [], '');
    recorded.markReady();
    await until('the main window', () => recorded.window !== null);

    secondInstance?.({}, [], '');

    expect(recorded.window).toMatchObject({ restored: 1, focused: 1, minimized: false });
    expect(recorded.quits).toBe(0);
  });
});

describe('Electron entry point, when another copy holds the single-instance lock', () => {
  beforeAll(async () => {
    recorded.lockGranted = false;
    recorded.appHandlers.clear();
    recorded.privilegedSchemes.length = 0;
    recorded.whenReadyCalls = 0;
    vi.resetModules();
    await import('../../../src/main/index.js');
  });

  it('quits at once, before wiring anything or waiting for the app to be ready', () => {
    expect(recorded.quits).toBe(1);
    expect(recorded.appHandlers.size).toBe(0);
    expect(recorded.privilegedSchemes).toEqual([]);
    expect(recorded.whenReadyCalls).toBe(0);
  });
});
