// Wires the dispatcher to Electron IPC: one ipcMain.handle per channel, and IpcEvents forwarded
// to the reader window. Messages from any frame other than the reader window's own top frame, on
// the reader's origin, are refused.
import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import { IPC_CHANNELS } from '../../shared/ipc.js';
import { fail } from '../../shared/result.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logging/logger.js';
import type { SenderFrame } from '../windows/security.js';
import { isTrustedSender } from '../windows/security.js';
import type { IpcDispatcher } from './dispatcher.js';

export type RegisterIpcOptions = {
  readonly ipcMain: IpcMain;
  readonly dispatch: IpcDispatcher;
  readonly events: EventBus;
  readonly getWindow: () => BrowserWindow | null;
  readonly allowedOrigins: readonly string[];
  readonly logger: Logger;
};

/** The sending frame, and whether it is the reader window's main frame. */
function senderFrameOf(
  event: IpcMainInvokeEvent,
  window: BrowserWindow | null,
): SenderFrame | null {
  const frame = event.senderFrame;
  if (!frame) return null;
  const readerContents = window && !window.isDestroyed() ? window.webContents : null;
  return {
    url: frame.url,
    isTopFrame: frame.parent === null && readerContents !== null && event.sender === readerContents,
  };
}

export function registerIpc(options: RegisterIpcOptions): () => void {
  const { ipcMain, dispatch, logger } = options;
  for (const channel of IPC_CHANNELS) {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, request: unknown) => {
      if (!isTrustedSender(senderFrameOf(event, options.getWindow()), options.allowedOrigins)) {
        logger.warn('refused IPC from an untrusted frame', { channel });
        return fail(
          'ipc-untrusted-sender',
          'This request did not come from the Attaché reader and was refused.',
        );
      }
      return dispatch(channel, request);
    });
  }
  const unsubscribe = options.events.subscribe((name, payload) => {
    const window = options.getWindow();
    if (window && !window.isDestroyed()) window.webContents.send(name, payload);
  });
  return () => {
    unsubscribe();
    for (const channel of IPC_CHANNELS) ipcMain.removeHandler(channel);
  };
}
