// ipc.electron.ts must refuse every IPC message that does not come from the reader window's own
// top frame, whatever its origin. Electron cannot run under Node: ipcMain, the window and the
// frames are small fakes shaped like Electron's (the module imports only Electron's types), and
// the test calls the registered handlers the way Electron would.
import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../../src/main/events/event-bus.js';
import type { IpcDispatcher } from '../../../src/main/ipc/dispatcher.js';
import { registerIpc } from '../../../src/main/ipc/ipc.electron.js';
import { APP_ENTRY_URL } from '../../../src/main/windows/security.js';
import { API_VERBS } from '../../../src/shared/ipc.js';
import { ok } from '../../../src/shared/result.js';
import { memoryLogger } from './fixtures.js';

type Invoke = (event: IpcMainInvokeEvent, request: unknown) => unknown;

function wired() {
  const handlers = new Map<string, Invoke>();
  const ipcMain = {
    handle: (channel: string, handler: Invoke) => handlers.set(channel, handler),
    removeHandler: (channel: string) => handlers.delete(channel),
  } as unknown as IpcMain;
  const readerContents = { send: () => undefined };
  const otherContents = { send: () => undefined };
  const window = {
    webContents: readerContents,
    isDestroyed: () => false,
  } as unknown as BrowserWindow;
  const dispatched: string[] = [];
  const dispatch: IpcDispatcher = (channel) => {
    dispatched.push(channel);
    return Promise.resolve(ok('dispatched'));
  };
  const { logger, records } = memoryLogger();
  registerIpc({
    ipcMain,
    dispatch,
    events: createEventBus(() => undefined),
    getWindow: () => window,
    allowedOrigins: ['attache://app'],
    logger,
  });
  const topFrame = { url: APP_ENTRY_URL, parent: null };
  /** Calls the handler of `channel` as a message from `frame` in `sender` would. */
  const send = (frame: unknown, sender: unknown = readerContents) =>
    handlers.get(API_VERBS.getSession)?.(
      { senderFrame: frame, sender } as unknown as IpcMainInvokeEvent,
      {},
    );
  return { send, dispatched, records, topFrame, otherContents };
}

describe('Electron IPC handlers', () => {
  it('answer the reader window’s top frame', async () => {
    const { send, dispatched, topFrame } = wired();
    expect(await send(topFrame)).toEqual({ ok: true, value: 'dispatched' });
    expect(dispatched).toEqual([API_VERBS.getSession]);
  });

  it.each([
    ['a child frame on the reader’s own origin', { url: APP_ENTRY_URL, parent: {} }, 'reader'],
    ['a top frame of another origin', { url: 'https://example.com/', parent: null }, 'reader'],
    ['the top frame of other web contents', { url: APP_ENTRY_URL, parent: null }, 'other'],
    ['a frame that is gone', null, 'reader'],
  ])('refuse %s', async (_what, frame, contents) => {
    const { send, dispatched, records, otherContents } = wired();
    const answer = await send(frame, contents === 'other' ? otherContents : undefined);
    expect(answer).toMatchObject({ ok: false, error: { code: 'ipc-untrusted-sender' } });
    expect(dispatched).toEqual([]);
    expect(records.map((r) => r.message)).toContain('refused IPC from an untrusted frame');
  });
});
