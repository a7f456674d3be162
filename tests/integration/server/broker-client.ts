// A raw HTTP client for broker tests: the path goes out exactly as written (fetch would resolve
// `..` and re-encode), any method and body, and live feeds are cut after a while instead of being
// waited for. Plus readers of the audit trail the broker writes.
import fs from 'node:fs';
import http from 'node:http';
import type { Harness } from './server-harness.js';
import { waitFor } from './server-harness.js';

export type BrokerReply = { status: number; headers: http.IncomingHttpHeaders; text: string };

export type BrokerRequestInit = {
  readonly token?: string;
  /** Sent as JSON (`content-type: application/json`), or as is when already a string. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** A live feed does not end: what arrived after this long is the answer. */
  readonly cutAfterMs?: number;
};

export function brokerRequest(
  h: Harness,
  method: string,
  path: string,
  init: BrokerRequestInit = {},
): Promise<BrokerReply> {
  const url = new URL(h.server.urls.broker);
  const data =
    init.body === undefined
      ? undefined
      : typeof init.body === 'string'
        ? init.body
        : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(data === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }),
          ...init.headers,
        },
      },
      (res) => {
        const chunks: Uint8Array[] = [];
        const finish = () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        const timer = setTimeout(() => {
          finish();
          req.destroy();
        }, init.cutAfterMs ?? 2_000);
        res.on('data', (chunk: Uint8Array) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(timer);
          finish();
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      // The broker may answer (413) and close before a large body is fully sent.
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    req.end(data);
  });
}

export type AuditRecord = Record<string, unknown> & {
  readonly action: string;
  readonly decision?: string;
  readonly reason?: string;
};

export function auditRecords(h: Harness): AuditRecord[] {
  return fs
    .readFileSync(h.server.files.auditLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditRecord);
}

/** Waits until every predicate matches some `broker.request` record (the trail writes async). */
export async function waitForBrokerRecords(
  h: Harness,
  expected: readonly { readonly label: string; readonly matches: (r: AuditRecord) => boolean }[],
): Promise<void> {
  let missing: string[] = [];
  try {
    await waitFor(
      'broker.request records',
      () => {
        const records = auditRecords(h).filter((r) => r.action === 'broker.request');
        missing = expected.filter((e) => !records.some(e.matches)).map((e) => e.label);
        return Promise.resolve(missing.length === 0 ? true : undefined);
      },
      10_000,
    );
  } catch {
    throw new Error(`no audit record for: ${missing.slice(0, 10).join('; ')}`);
  }
}
