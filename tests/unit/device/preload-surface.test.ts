// The preload is the reader's only door to the device. Its types pin it to the shared contract;
// this test pins what it does at run time: one frozen `window.attache` with exactly the
// contract's verbs and events, verbs that forward only the request, and subscribers that never
// hand the page the IpcRendererEvent (whose `sender` is ipcRenderer itself).
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { API_EVENTS, API_VERBS } from '../../../src/shared/ipc.js';

type Listener = (...args: unknown[]) => void;

const electron = vi.hoisted(() => {
  const listeners = new Map<string, Listener[]>();
  return {
    exposed: [] as { key: string; api: unknown }[],
    invoke: vi.fn((..._args: unknown[]) => Promise.resolve({ ok: true, value: null })),
    listeners,
    on: vi.fn((channel: string, listener: Listener) => {
      listeners.set(channel, [...(listeners.get(channel) ?? []), listener]);
    }),
    removeListener: vi.fn((channel: string, listener: Listener) => {
      listeners.set(
        channel,
        (listeners.get(channel) ?? []).filter((candidate) => candidate !== listener),
      );
    }),
  };
});

vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, api: unknown) => {
      electron.exposed.push({ key, api });
    },
  },
  ipcRenderer: {
    invoke: electron.invoke,
    on: electron.on,
    removeListener: electron.removeListener,
  },
}));

type ExposedApi = Record<string, (arg: unknown) => unknown>;

describe('preload', () => {
  let api: ExposedApi;

  beforeAll(async () => {
    await import('../../../src/preload/index.js');
    api = electron.exposed[0]?.api as ExposedApi;
  });

  it('exposes exactly one object, named attache, and freezes it', () => {
    expect(electron.exposed.map(({ key }) => key)).toEqual(['attache']);
    expect(Object.isFrozen(api)).toBe(true);
  });

  it("carries exactly the contract's verbs and events, each a function", () => {
    expect(Object.keys(api).sort()).toEqual(
      [...Object.keys(API_VERBS), ...Object.keys(API_EVENTS)].sort(),
    );
    for (const [name, value] of Object.entries(api)) expect(typeof value, name).toBe('function');
  });

  it('sends each verb on its channel with only the request object', async () => {
    for (const [verb, channel] of Object.entries(API_VERBS)) {
      electron.invoke.mockClear();
      const request = { id: `request-for-${verb}` };
      await expect(api[verb]?.(request)).resolves.toEqual({ ok: true, value: null });
      expect(electron.invoke, verb).toHaveBeenCalledExactlyOnceWith(channel, request);
    }
  });

  it('hands a subscriber only the payload, and its unsubscribe removes that handler', () => {
    for (const [name, channel] of Object.entries(API_EVENTS)) {
      const received: unknown[][] = [];
      const unsubscribe = api[name]?.((...args: unknown[]) => received.push(args));
      expect(typeof unsubscribe, name).toBe('function');
      const handlers = electron.listeners.get(channel) ?? [];
      expect(handlers, name).toHaveLength(1);

      const ipcEvent = { sender: { send: () => undefined }, senderId: 0, ports: [] };
      const payload = { from: channel };
      for (const handler of handlers) handler(ipcEvent, payload);
      expect(received, name).toEqual([[payload]]);

      (unsubscribe as () => void)();
      expect(electron.removeListener, name).toHaveBeenCalledWith(channel, handlers[0]);
      expect(electron.listeners.get(channel), name).toEqual([]);
    }
  });

  it('loads nothing but electron at run time, as a sandboxed preload must', async () => {
    // A sandboxed preload can require only electron and a few Node built-ins; a value import of
    // the shared contract (and so zod) would load in this test but break the real window.
    const source = await readFile(
      new URL('../../../src/preload/index.ts', import.meta.url),
      'utf8',
    );
    const valueImports = [
      ...source.matchAll(/^import\s+(?!type\s)(?:[^;]*?from\s+)?'([^']+)'/gms),
    ].map((match) => match[1]);
    expect(valueImports).toEqual(['electron']);
  });
});
