// Reaching the embedded CouchDB-protocol server directly, as the server itself does: over its
// Unix socket (it has no TCP port). `couchRequest` sends the path exactly as written (no URL
// normalisation), for the tests that probe how the server reads hostile paths.
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { createCouchClient } from '../../../server/src/couch/couch-client.js';
import { EMBEDDED_COUCH_ORIGIN } from '../../../server/src/couch/embedded-couch-process.js';
import type { CouchCredentials } from '../../../server/src/couch/types.js';

export type CouchReply = { status: number; headers: IncomingHttpHeaders; text: string };

export function basic(credentials: CouchCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

export function couchRequest(
  socketPath: string,
  method: string,
  path: string,
  init: { authorization?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<CouchReply> {
  return couchEndpointRequest({ url: EMBEDDED_COUCH_ORIGIN, socketPath }, method, path, init);
}

/**
 * The same to wherever a running server's CouchDB answers: the embedded server's socket, or
 * Apache CouchDB's URL (the path still sent exactly as written, after the URL's own path).
 */
export function couchEndpointRequest(
  endpoint: { url: string; socketPath: string | null },
  method: string,
  path: string,
  init: { authorization?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<CouchReply> {
  const url = new URL(endpoint.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...(endpoint.socketPath
          ? { socketPath: endpoint.socketPath }
          : { host: url.hostname, port: url.port }),
        method,
        path: endpoint.socketPath ? path : `${url.pathname.replace(/\/+$/, '')}${path}`,
        headers: {
          ...(init.authorization ? { authorization: init.authorization } : {}),
          ...(init.body !== undefined
            ? {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(init.body)),
              }
            : {}),
          ...init.headers,
        },
        timeout: 20_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The server's CouchDB client, on a running server's embedded CouchDB-protocol server. */
export function couchClientFor(
  server: { couch: { url: string; socketPath: string | null } },
  credentials: CouchCredentials,
) {
  return createCouchClient({
    url: server.couch.url,
    socketPath: server.couch.socketPath,
    credentials,
  });
}

export { EMBEDDED_COUCH_ORIGIN };
