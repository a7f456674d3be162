// AttacheApi over the browser host's loopback HTTP bridge, for where Electron cannot run.
// Wire format (see src/shared/protocol.ts):
//   call:   POST {HOST_API_PREFIX}<channel>, header {HOST_KEY_HEADER}: <launch key>,
//           JSON request body; the response body is the JSON Result, whatever the status.
//   events: EventSource on {HOST_EVENTS_PATH}?key=<launch key>; one named SSE event per
//           IpcEventName, JSON data.
// The verbs and events are built from API_VERBS and API_EVENTS, so this client can only ever
// speak the contract's channels.
import {
  API_EVENTS,
  API_VERBS,
  type ApiEvent,
  type ApiVerb,
  type AttacheApi,
  type IpcEventName,
  type IpcEvents,
  type SyncStatus,
} from '../../../shared/ipc.js';
import { HOST_API_PREFIX, HOST_EVENTS_PATH, HOST_KEY_HEADER } from '../../../shared/protocol.js';
import { fail, type Result } from '../../../shared/result.js';

/** The part of EventSource this client uses, so tests can hand in a stub. */
export type EventSourceLike = {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: { readonly data?: unknown }) => void): void;
  close(): void;
};

export type HttpBridgeOptions = {
  /** The launch secret, or null when the page was opened without one. */
  readonly key: string | null;
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  readonly createEventSource: (url: string) => EventSourceLike;
  /** A call that gets no answer within this long counts as the host being unreachable. */
  readonly timeoutMs?: number;
};

export const BRIDGE_ERROR_CODES = {
  keyMissing: 'host-key-missing',
  keyRejected: 'host-key-rejected',
  unreachable: 'host-unreachable',
  badResponse: 'host-bad-response',
} as const;

/** The host's code for a call without its launch key (src/host/bridge-server.ts). */
const HOST_UNAUTHORIZED = 'host-unauthorized';

/**
 * The key lives in this tab only (launch-key.ts): a reload keeps it, a bookmark or a new tab
 * does not, and the address with it is in the terminal's banner.
 */
export const KEY_MISSING_MESSAGE =
  'This tab was opened without the reader’s key (from a bookmark, a new tab or a copied address). In the terminal where Attaché is running, open the address on the line “Reader (open in a browser)”: it ends in #key=…. Reloading a tab opened from there keeps working.';
/**
 * The host makes a new launch key each time it starts, so a key it refuses almost always comes
 * from an address of an earlier run: say that, and where the new one is.
 */
const KEY_REJECTED_MESSAGE =
  'Attaché’s reader was restarted, so this address no longer works. Open the new address printed in the terminal where Attaché is running (it ends in #key=…).';

const EVENT_SOURCE_OPEN = 1;
const EVENT_SOURCE_CLOSED = 2;

function isResult(body: unknown): body is Result<unknown> {
  if (typeof body !== 'object' || body === null || !('ok' in body)) return false;
  if (body.ok === true) return 'value' in body;
  if (body.ok !== false || !('error' in body)) return false;
  const error = body.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    'message' in error &&
    typeof error.message === 'string'
  );
}

export function createHttpBridge(options: HttpBridgeOptions): AttacheApi {
  const { key, timeoutMs = 30_000 } = options;
  // The last sync status seen, so a lost-contact status can keep its last-synced time.
  let lastStatus: SyncStatus | null = null;

  async function call(channel: string, request: unknown): Promise<Result<unknown>> {
    if (!key) {
      return fail(BRIDGE_ERROR_CODES.keyMissing, KEY_MISSING_MESSAGE);
    }
    let response: Response;
    try {
      response = await options.fetch(`${HOST_API_PREFIX}${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [HOST_KEY_HEADER]: key },
        body: JSON.stringify(request ?? {}),
        cache: 'no-store',
        credentials: 'omit',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      return fail(
        BRIDGE_ERROR_CODES.unreachable,
        'Attaché’s local service is not responding. Check that Attaché is still running, then try again.',
      );
    }
    let body: unknown = undefined;
    try {
      body = await response.json();
    } catch {
      // Not JSON: judged by the status below.
    }
    // Before the Result check: the host's own refusal is a Result too, but worded for no one
    // in particular; this page knows it sent a key, so it can say what went wrong.
    const refusedKey =
      response.status === 401 ||
      (isResult(body) && !body.ok && body.error.code === HOST_UNAUTHORIZED);
    if (refusedKey) return fail(BRIDGE_ERROR_CODES.keyRejected, KEY_REJECTED_MESSAGE);
    if (isResult(body)) {
      if (channel === API_VERBS.getSyncStatus && body.ok) lastStatus = body.value as SyncStatus;
      return body;
    }
    if (response.status === 403) {
      return fail(
        BRIDGE_ERROR_CODES.keyRejected,
        'Attaché’s local service refused this page. Open the address printed in the terminal where Attaché is running.',
      );
    }
    return fail(
      BRIDGE_ERROR_CODES.badResponse,
      `Attaché’s local service gave an answer this reader does not understand (HTTP ${response.status}).`,
    );
  }

  // One EventSource for all subscriptions, opened on the first and closed after the last.
  const listeners = new Map<IpcEventName, Set<(payload: unknown) => void>>();
  let source: EventSourceLike | null = null;

  function dispatch(name: IpcEventName, payload: unknown): void {
    if (name === 'sync:status-changed') lastStatus = payload as SyncStatus;
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        // One failing listener must not starve the others; rethrown later so it still surfaces.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  function openSource(): void {
    if (source || !key) return;
    const opened = options.createEventSource(`${HOST_EVENTS_PATH}?key=${encodeURIComponent(key)}`);
    source = opened;
    for (const name of Object.values(API_EVENTS)) {
      opened.addEventListener(name, (event) => {
        if (typeof event.data !== 'string') return;
        let payload: unknown;
        try {
          payload = JSON.parse(event.data);
        } catch {
          return; // A malformed event is dropped; the next one carries the whole state again.
        }
        dispatch(name, payload);
      });
    }
    let lostContact = false;
    opened.addEventListener('error', () => {
      if (source !== opened || opened.readyState === EVENT_SOURCE_OPEN) return;
      if (opened.readyState === EVENT_SOURCE_CLOSED) {
        // EventSource gives up for good only when the host answered but refused the stream,
        // typically a host restarted with a new launch key. No "Retrying…" then: a call finds
        // out why, and its message replaces the status.
        void call(API_VERBS.getSyncStatus, {}).then((result) => {
          if (result.ok || source !== opened) return;
          dispatch('sync:status-changed', {
            state: 'error',
            lastSyncedAt: lastStatus?.lastSyncedAt ?? null,
            pendingUploads: lastStatus?.pendingUploads ?? 0,
            message: result.error.message,
          } satisfies SyncStatus);
        });
        return;
      }
      // EventSource retries by itself; while it does, say so rather than keep showing a
      // sync state that nothing confirms any more.
      if (lostContact) return;
      lostContact = true;
      dispatch('sync:status-changed', {
        state: 'error',
        lastSyncedAt: lastStatus?.lastSyncedAt ?? null,
        pendingUploads: lastStatus?.pendingUploads ?? 0,
        message: 'Lost contact with Attaché’s local service. Retrying…',
      } satisfies SyncStatus);
    });
    opened.addEventListener('open', () => {
      if (source !== opened || !lostContact) return;
      lostContact = false;
      // Events sent while disconnected are lost: tell subscribers to refetch everything
      // (empty ids means "anything may have changed") and fetch the current sync status.
      dispatch('briefings:changed', { ids: [] } satisfies IpcEvents['briefings:changed']);
      void call(API_VERBS.getSyncStatus, {}).then((result) => {
        if (result.ok && source === opened) dispatch('sync:status-changed', result.value);
      });
    });
  }

  function subscribe(name: IpcEventName, listener: (payload: unknown) => void): () => void {
    let set = listeners.get(name);
    if (!set) {
      set = new Set();
      listeners.set(name, set);
    }
    const wrapped = (payload: unknown) => listener(payload);
    set.add(wrapped);
    openSource();
    return () => {
      set.delete(wrapped);
      if ([...listeners.values()].every((s) => s.size === 0) && source) {
        source.close();
        source = null;
      }
    };
  }

  const api: Record<string, unknown> = {};
  for (const verb of Object.keys(API_VERBS) as ApiVerb[]) {
    const channel = API_VERBS[verb];
    api[verb] = (request: unknown) => call(channel, request);
  }
  for (const event of Object.keys(API_EVENTS) as ApiEvent[]) {
    const name = API_EVENTS[event];
    api[event] = (listener: (payload: unknown) => void) => subscribe(name, listener);
  }
  // The loops above cover exactly API_VERBS and API_EVENTS, which is what AttacheApi is
  // made of; TypeScript cannot follow that through Object.keys, the unit test does.
  return Object.freeze(api) as AttacheApi;
}
