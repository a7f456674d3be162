// The broker's connection to the CouchDB-protocol server: every request goes up as the token's
// user (a short-lived JWT, or Basic with the derived password: couch/user-auth.ts), so CouchDB's
// own `_security` and validation apply behind the broker's policy. The one place that knows where
// and how the server is reached.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { UserDbs } from '../user-dbs/user-dbs.js';
import { ROW_MAX_BYTES } from './reserved-row-filter.js';
import type { RevisionChecks } from './revision-checks.js';
import { createRevisionChecks } from './revision-checks.js';

export type Upstream = {
  /** The server's path prefix ('' at a server root): database paths go after it. */
  readonly base: string;
  /** Opens one request as `user`; the caller sends the body and reads the answer. */
  request(
    method: string,
    user: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<http.ClientRequest>;
  /** The revision questions asked as `user` before a read. */
  revisionChecks(user: string): RevisionChecks;
};

/** Reads at most `limit` bytes of an answer, then stops reading it. */
export async function readUpTo(answer: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of answer) {
    const bytes = chunk as Uint8Array;
    chunks.push(bytes);
    size += bytes.byteLength;
    if (size >= limit) {
      answer.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

export function createUpstream(deps: {
  couchUrl: string;
  /** The embedded CouchDB-protocol server's Unix socket; then `couchUrl` only names the origin. */
  socketPath?: string | null;
  userDbs: UserDbs;
}): Upstream {
  const url = new URL(deps.couchUrl);
  const transport = url.protocol === 'https:' ? https : http;

  const request: Upstream['request'] = async (method, user, path, headers) => {
    const authorization = await deps.userDbs.authorization(user);
    return transport.request({
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      ...(deps.socketPath ? { socketPath: deps.socketPath } : {}),
      method,
      path,
      headers: { ...headers, authorization },
    });
  };

  return {
    base: url.pathname.replace(/\/+$/, ''),
    request,
    revisionChecks: (user) =>
      createRevisionChecks(async (method, path, headers, body) => {
        const ask = await request(method, user, path, {
          ...headers,
          ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
        });
        return new Promise((resolve, reject) => {
          ask.on('error', reject);
          ask.on('response', (answer) => {
            // A document without its attachments: bounded like one row of a feed.
            readUpTo(answer, ROW_MAX_BYTES).then(
              (bytes) =>
                resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: bytes }),
              reject,
            );
          });
          ask.end(body);
        });
      }),
  };
}
