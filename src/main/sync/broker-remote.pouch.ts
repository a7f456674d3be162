// The broker transport: the device's HTTP client for the person's databases. Every request
// asks for a fresh Authorization value and carries the device's headers; a 403 whose body is a
// wipe order is reported as one; a 429 is back-pressure, waited out as its Retry-After says and
// sent again, so neither the own pull nor PouchDB's push sees it as a failure.
import PouchDB from 'pouchdb-node';
import {
  BROKER_DB_PATHS,
  DEVICE_WIPE_CONFIRMATION_PATTERN,
  DEVICE_WIPE_ERROR,
} from '../../shared/protocol.js';
import type { BrokerDatabase, BrokerTransport, RequestOutcome } from './types.js';

export type BrokerTransportOptions = {
  /** Base URL of the auth broker, e.g. http://127.0.0.1:5080 */
  readonly brokerUrl: string;
  /**
   * Value of the Authorization header, asked for before every request (so a renewed token is
   * picked up without restarting). Throwing fails that request.
   */
  readonly authorization: () => Promise<string>;
  /** Sent with every request (the device's id and label). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly onRequest: (outcome: RequestOutcome) => void;
  /** Longest wait for one 429 (a Retry-After beyond it is cut to it). */
  readonly maxRetryAfterMs?: number;
  /** Waits `ms` unless `signal` aborts first (then rejects with the abort). Tests speed it up. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
};

const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;

function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After in milliseconds (seconds or an HTTP date); 1 s when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number {
  if (value === null) return 1_000;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1_000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? 1_000 : Math.max(0, at - now);
}

/**
 * The broker's wipe order, when a 403 is one (its body says so; nothing else does), with the
 * order's one-time value for the confirmation; null for any other answer.
 */
async function wipeOrderIn(response: Response): Promise<{ confirmation: string | null } | null> {
  if (response.status !== 403) return null;
  try {
    const body = (await response.clone().json()) as { error?: unknown; confirmation?: unknown };
    if (body.error !== DEVICE_WIPE_ERROR) return null;
    const { confirmation } = body;
    return {
      confirmation:
        typeof confirmation === 'string' && DEVICE_WIPE_CONFIRMATION_PATTERN.test(confirmation)
          ? confirmation
          : null,
    };
  } catch {
    return null;
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

export function createBrokerTransport(options: BrokerTransportOptions): BrokerTransport {
  const maxWait = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const sleep = options.sleep ?? sleepUnlessAborted;
  const databaseUrl = (database: BrokerDatabase): string =>
    new URL(BROKER_DB_PATHS[database], options.brokerUrl).toString();

  /** fetch with the broker's headers, wipe detection and 429 waits; what PouchDB calls too. */
  const brokerFetch = async (
    send: (url: string | Request, init: RequestInit) => Promise<Response>,
    url: string | Request,
    init: RequestInit = {},
  ): Promise<Response> => {
    for (;;) {
      const headers = new Headers(init.headers);
      for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
      headers.set('Authorization', await options.authorization());
      let response: Response;
      try {
        response = await send(url, { ...init, headers });
      } catch (error) {
        // An abort is our own cancel (or PouchDB's timeout), not a sign of being offline.
        if (!isAbort(error)) options.onRequest({ kind: 'network-error', error });
        throw error;
      }
      if (response.status === 429) {
        // Back-pressure: the request is sent again once the broker's budget allows it.
        await response.arrayBuffer().catch(() => undefined);
        await sleep(
          Math.min(maxWait, retryAfterMs(response.headers.get('retry-after'))),
          init.signal ?? undefined,
        );
        continue;
      }
      const order = await wipeOrderIn(response);
      options.onRequest(
        order
          ? { kind: 'wipe-ordered', confirmation: order.confirmation }
          : { kind: 'response', status: response.status },
      );
      return response;
    }
  };

  return {
    request: (database, pathAndQuery, init = {}) => {
      const url = `${databaseUrl(database)}${pathAndQuery === '' || pathAndQuery.startsWith('?') ? '' : '/'}${pathAndQuery}`;
      return brokerFetch(fetch, url, {
        method: init.method ?? 'GET',
        headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    },
    remoteDatabase: (database) =>
      new PouchDB(databaseUrl(database), {
        // The device never creates remote databases; the fan-out does, with their security.
        skip_setup: true,
        fetch: (url, init) => brokerFetch(PouchDB.fetch, url, init),
      }),
  };
}
