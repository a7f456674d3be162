// src/main/index.ts must install the defence-in-depth guard on every web contents the app gets
// and register the app scheme before the app is ready. Electron is replaced by a fake `app` that
// records its handlers and never becomes ready, so importing the entry point only wires those
// handlers (no window, no services start).
import { beforeAll, describe, expect, it, vi } from 'vitest';

type Handler = (...args: unknown[]) => unknown;

const recorded = vi.hoisted(() => ({
  appHandlers: new Map<string, Handler>(),
  privilegedSchemes: [] as unknown[],
}));

vi.mock('electron', () => ({
  app: {
    requestSingleInstanceLock: () => true,
    quit: () => undefined,
    exit: () => undefined,
    on: (name: string, handler: Handler) => {
      recorded.appHandlers.set(name, handler);
    },
    // Never ready: the entry point stops after wiring its app handlers.
    whenReady: () => new Promise<void>(() => undefined),
  },
  ipcMain: {},
  session: {},
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

describe('Electron entry point', () => {
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
});
