// The one place that decides where the reader's API comes from: the Electron preload's
// `window.attache` when present, otherwise the browser host's HTTP bridge.
import type { AttacheApi } from '../../../shared/ipc.js';
import { HOST_KEY_FRAGMENT } from '../../../shared/protocol.js';
import { createHttpBridge } from './http-bridge.js';
import { takeLaunchKey } from './launch-key.js';

export type ApiSource = 'electron' | 'browser-host';

export function resolveApi(win: Window): { api: AttacheApi; source: ApiSource } {
  if (win.attache) return { api: win.attache, source: 'electron' };
  const key = takeLaunchKey({
    location: win.location,
    history: win.history,
    storage: tabStorage(win),
  });
  // A restarted host hands out a new secret. Opening its address in this same tab changes only
  // the fragment, which does not reload the page: take the new key and start afresh with it.
  win.addEventListener('hashchange', () => {
    if (!new URLSearchParams(win.location.hash.slice(1)).has(HOST_KEY_FRAGMENT)) return;
    takeLaunchKey({ location: win.location, history: win.history, storage: tabStorage(win) });
    win.location.reload();
  });
  return {
    api: createHttpBridge({
      key,
      fetch: (url, init) => win.fetch(url, init),
      createEventSource: (url) => new EventSource(url),
    }),
    source: 'browser-host',
  };
}

/** sessionStorage, or a stand-in that remembers nothing where the browser denies storage. */
function tabStorage(win: Window): Pick<Storage, 'getItem' | 'setItem'> {
  try {
    return win.sessionStorage;
  } catch {
    return { getItem: () => null, setItem: () => undefined };
  }
}
