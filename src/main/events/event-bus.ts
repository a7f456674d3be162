// Events main pushes to the reader (IpcEvents), fanned out to whichever transports are attached:
// the Electron window, the browser host's event stream, or both in tests.
import type { IpcEventName, IpcEvents } from '../../shared/ipc.js';

export type EventListener = <E extends IpcEventName>(name: E, payload: IpcEvents[E]) => void;

export type EventBus = {
  readonly emit: <E extends IpcEventName>(name: E, payload: IpcEvents[E]) => void;
  readonly subscribe: (listener: EventListener) => () => void;
};

export function createEventBus(onListenerError?: (error: unknown) => void): EventBus {
  const listeners = new Set<EventListener>();
  return {
    emit: (name, payload) => {
      for (const listener of listeners) {
        try {
          listener(name, payload);
        } catch (error) {
          onListenerError?.(error);
        }
      }
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
