// The browser host's HTTP server: serves the built reader and bridges the IPC contract.
//
//   POST /api/<channel>    header x-attache-key: <secret>, JSON body = the request
//                          -> 200 with the dispatcher's JSON Result (validation errors included)
//   GET  /api/events?key=<secret>
//                          -> text/event-stream of IpcEvents: "event: <name>\ndata: <json>\n\n"
//   GET  /<file>           -> the built reader (no key: the page must load to read its key)
//
// Transport failures answer with an HTTP error status and the same Result shape
// ({ ok: false, error: { code, message } }), so the reader handles both alike.
//
// Threats: other local users and processes (the per-launch secret), web pages in the user's
// browser (no CORS headers, JSON-only bodies, Origin check), DNS rebinding (Host check), and
// oversized bodies (limit). The server listens on 127.0.0.1 only.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HOST_API_PREFIX, HOST_EVENTS_PATH, HOST_KEY_HEADER } from '../shared/protocol.js';
import type { IpcEventName, IpcEvents, SyncStatus } from '../shared/ipc.js';
import type { AppErrorInfo } from '../shared/app-error.js';
import type { EventBus } from '../main/events/event-bus.js';
import type { IpcDispatcher } from '../main/ipc/dispatcher.js';
import type { Logger } from '../main/logging/logger.js';
import { errorFields } from '../main/logging/logger.js';
import { SECURITY_HEADERS } from '../main/windows/security.js';
import { contentTypeFor, resolveStaticPath } from '../main/windows/static-assets.js';

export const MAX_BODY_BYTES = 64 * 1024;
const HEARTBEAT_MS = 15_000;

export const HOST_ERROR_CODES = {
  forbiddenHost: 'host-forbidden-host',
  forbiddenOrigin: 'host-forbidden-origin',
  unauthorized: 'host-unauthorized',
  notFound: 'host-not-found',
  methodNotAllowed: 'host-method-not-allowed',
  unsupportedMediaType: 'host-unsupported-media-type',
  bodyTooLarge: 'host-body-too-large',
  invalidJson: 'host-invalid-json',
  readerNotBuilt: 'host-reader-not-built',
} as const;

export type BridgeOptions = {
  readonly secret: string;
  readonly dispatch: IpcDispatcher;
  readonly events: EventBus;
  readonly currentStatus: () => SyncStatus;
  readonly staticDir: string;
  readonly logger: Logger;
  /** The port actually bound (known only after listen). */
  readonly port: () => number;
};

export type Bridge = {
  readonly handle: (request: IncomingMessage, response: ServerResponse) => void;
  /** Ends open event streams (so the server can close). */
  readonly closeStreams: () => void;
};

function keysMatch(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  // Hash first: equal lengths for timingSafeEqual without revealing the secret's length.
  const a = new Uint8Array(createHash('sha256').update(given, 'utf8').digest());
  const b = new Uint8Array(createHash('sha256').update(secret, 'utf8').digest());
  return timingSafeEqual(a, b);
}

function sendError(response: ServerResponse, status: number, error: AppErrorInfo): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    ...(status === 413 ? { Connection: 'close' } : {}),
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  response.end(JSON.stringify({ ok: false, error }));
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly appError: AppErrorInfo,
  ) {
    super(appError.message);
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) {
      reject(tooLarge());
      return;
    }
    let body = '';
    let size = 0;
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      size += Buffer.byteLength(chunk, 'utf8');
      if (size > MAX_BODY_BYTES) {
        // Stop buffering; the 413 goes out with Connection: close, which ends the upload.
        request.removeAllListeners('data');
        request.pause();
        reject(tooLarge());
        return;
      }
      body += chunk;
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

function tooLarge(): BodyError {
  return new BodyError(413, {
    code: HOST_ERROR_CODES.bodyTooLarge,
    message: `Requests to the reader host are limited to ${MAX_BODY_BYTES} bytes.`,
  });
}

export function createBridge(options: BridgeOptions): Bridge {
  const { secret, logger } = options;
  const streams = new Set<ServerResponse>();

  const allowedHosts = (): readonly string[] => [
    `127.0.0.1:${options.port()}`,
    `localhost:${options.port()}`,
  ];
  const allowedOrigins = (): readonly string[] => allowedHosts().map((host) => `http://${host}`);

  const handleApi = async (
    request: IncomingMessage,
    response: ServerResponse,
    channel: string,
  ): Promise<void> => {
    if (request.method !== 'POST') {
      sendError(response, 405, {
        code: HOST_ERROR_CODES.methodNotAllowed,
        message: 'Bridge calls use POST.',
      });
      return;
    }
    const key = request.headers[HOST_KEY_HEADER];
    if (!keysMatch(typeof key === 'string' ? key : undefined, secret)) {
      logger.warn('refused a bridge call without the launch key', {
        channel: channel.slice(0, 100),
      });
      sendError(response, 401, {
        code: HOST_ERROR_CODES.unauthorized,
        message:
          'This page is not connected to the reader host. Open the address the host printed (it ends in #key=...).',
      });
      return;
    }
    // Only application/json: a cross-site form cannot send it without a CORS preflight, which
    // this server never grants.
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') {
      sendError(response, 415, {
        code: HOST_ERROR_CODES.unsupportedMediaType,
        message: 'Bridge calls must send application/json.',
      });
      return;
    }
    let body: string;
    try {
      body = await readBody(request);
    } catch (error) {
      if (error instanceof BodyError) sendError(response, error.status, error.appError);
      else
        sendError(response, 400, {
          code: HOST_ERROR_CODES.invalidJson,
          message: 'The request body could not be read.',
        });
      return;
    }
    let payload: unknown;
    try {
      payload = body.length === 0 ? {} : JSON.parse(body);
    } catch {
      sendError(response, 400, {
        code: HOST_ERROR_CODES.invalidJson,
        message: 'The request body is not valid JSON.',
      });
      return;
    }
    const result = await options.dispatch(channel, payload);
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    response.end(JSON.stringify(result));
  };

  const handleEvents = (request: IncomingMessage, response: ServerResponse, url: URL): void => {
    if (request.method !== 'GET') {
      sendError(response, 405, {
        code: HOST_ERROR_CODES.methodNotAllowed,
        message: 'The event stream uses GET.',
      });
      return;
    }
    // EventSource cannot set headers, so the key travels in the query string (never logged:
    // the logger redacts key=).
    if (!keysMatch(url.searchParams.get('key') ?? undefined, secret)) {
      logger.warn('refused an event stream without the launch key');
      sendError(response, 401, {
        code: HOST_ERROR_CODES.unauthorized,
        message: 'The event stream needs the launch key.',
      });
      return;
    }
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const send = <E extends IpcEventName>(name: E, payload: IpcEvents[E]): void => {
      response.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    };
    response.write('retry: 2000\n\n');
    // A fresh stream starts with the current status, so the reader never shows a stale one.
    send('sync:status-changed', options.currentStatus());
    const unsubscribe = options.events.subscribe(send);
    const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
    streams.add(response);
    const cleanup = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(response);
    };
    request.on('close', cleanup);
    response.on('close', cleanup);
  };

  const handleStatic = async (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendError(response, 405, {
        code: HOST_ERROR_CODES.methodNotAllowed,
        message: 'Only GET is served here.',
      });
      return;
    }
    let path = resolveStaticPath(options.staticDir, url.pathname);
    if (path && !(await isFile(path)) && !/\.[a-z0-9]+$/i.test(url.pathname)) {
      // Client-side routes fall back to the reader's entry page.
      path = resolveStaticPath(options.staticDir, '/');
    }
    if (!path || !(await isFile(path))) {
      const entry = resolveStaticPath(options.staticDir, '/');
      if (entry && !(await isFile(entry))) {
        sendError(response, 503, {
          code: HOST_ERROR_CODES.readerNotBuilt,
          message: 'The reader is not built yet: run `npm run build`, then restart the host.',
        });
        return;
      }
      sendError(response, 404, { code: HOST_ERROR_CODES.notFound, message: 'Not found.' });
      return;
    }
    const body = await readFile(path);
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': contentTypeFor(path),
      'Content-Length': body.length,
      'Cache-Control': 'no-cache',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  };

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // DNS rebinding: a hostile name resolving to 127.0.0.1 still carries its own Host header.
    const host = (request.headers.host ?? '').toLowerCase();
    if (!allowedHosts().includes(host)) {
      logger.warn('refused a request for a foreign host name', { host: host.slice(0, 100) });
      sendError(response, 403, {
        code: HOST_ERROR_CODES.forbiddenHost,
        message: 'The reader host answers only on 127.0.0.1 and localhost.',
      });
      return;
    }
    const url = new URL(request.url ?? '/', `http://${host}`);
    const isApi = url.pathname === HOST_EVENTS_PATH || url.pathname.startsWith(HOST_API_PREFIX);
    const origin = request.headers.origin;
    if (isApi && origin !== undefined && !allowedOrigins().includes(origin.toLowerCase())) {
      logger.warn('refused a cross-origin bridge request', { origin: origin.slice(0, 100) });
      sendError(response, 403, {
        code: HOST_ERROR_CODES.forbiddenOrigin,
        message: 'Cross-origin requests are refused.',
      });
      return;
    }
    if (url.pathname === HOST_EVENTS_PATH) {
      handleEvents(request, response, url);
      return;
    }
    if (url.pathname.startsWith(HOST_API_PREFIX)) {
      let channel: string;
      try {
        channel = decodeURIComponent(url.pathname.slice(HOST_API_PREFIX.length));
      } catch {
        channel = url.pathname.slice(HOST_API_PREFIX.length);
      }
      await handleApi(request, response, channel);
      return;
    }
    await handleStatic(request, response, url);
  };

  return {
    handle: (request, response) => {
      route(request, response).catch((error: unknown) => {
        logger.error('reader host request failed', errorFields(error));
        sendError(response, 500, {
          code: 'internal-error',
          message: 'The reader host failed on this request; try again.',
        });
      });
    },
    closeStreams: () => {
      for (const stream of streams) stream.end();
      streams.clear();
    },
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
