// What a device sees when the CouchDB-protocol server fails a request (issue 9, "internal error
// text reaches devices"): the uniform 502, never the server's own words (express-pouchdb answered
// `requests.forEach is not a function` as a 500 body); the words go to the audit record.
//
// Fakes, named as such: the allow-list now keeps every request known to fail express-pouchdb
// away from it (the fuzz test finds none), so the failing upstream is a stub HTTP server that
// answers like a failing CouchDB; and the token verifier is a stub, since what is tested here
// starts after a token was accepted. The broker itself, its policy, rate limiter and metrics are
// the real ones.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditLog } from '../../../server/src/audit/types.js';
import { createBrokerServer } from '../../../server/src/broker/broker-server.js';
import { createRateLimiter } from '../../../server/src/broker/rate-limit.js';
import type { TokenVerifier } from '../../../server/src/broker/types.js';
import { userDbNames } from '../../../server/src/user-dbs/user-dbs.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { createMetrics } from '../../../server/src/observability/metrics.js';
import { createPreAuthGate } from '../../../server/src/broker/pre-auth-limit.js';
import { createRefusalAggregator } from '../../../server/src/audit/refusal-aggregator.js';

/** Shaped like an access token (the broker checks the shape first); the stub verifier accepts it. */
const STUB_TOKEN = `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`;

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

const USER = 'alex.morgan';
const INTERNAL = 'requests.forEach is not a function';
const STACK =
  'TypeError: x is undefined\n    at bulkGet (/srv/node_modules/pouchdb/lib/index.js:42:7)';

let failingCouch: http.Server;
let broker: http.Server;
let brokerUrl: string;
const records: AuditEntry[] = [];

/** A CouchDB-protocol server that fails: 500 with its internals, or a stack trace as text. */
function startFailingCouch(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if ((req.url ?? '').includes('_changes')) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end(STACK);
      return;
    }
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'bad_request', reason: INTERNAL }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const acceptAnyToken: TokenVerifier = {
  verify: () => Promise.resolve({ ok: true, token: { user: USER, expiresAt: 2 ** 31 } }),
};
const audit: AuditLog = {
  record: (entry) => void records.push(entry),
  close: () => Promise.resolve(),
};

beforeAll(async () => {
  failingCouch = await startFailingCouch();
  broker = createBrokerServer({
    verifier: acceptAnyToken,
    userDbs: {
      ensure: (user) => Promise.resolve(userDbNames(user)),
      authorization: () => Promise.resolve('Basic bm90LWNoZWNrZWQ6YnktdGhlLXN0dWI='),
    },
    couchUrl: `http://127.0.0.1:${(failingCouch.address() as AddressInfo).port}`,
    audit,
    metrics: createMetrics({
      queueDepth: () => Promise.resolve({ ready: 0, leased: 0, dead: 0 }),
    }),
    rateLimiter: createRateLimiter({ burst: 100, perSecond: 100 }),
    maxBodyBytes: 64 * 1024,
    maxOpenPerUser: 4,
    preAuth: createPreAuthGate({
      clientOf: (req) => req.socket.remoteAddress ?? '',
      algorithms: ['ES256'],
      failureBurst: 100,
      failuresPerMinute: 100,
    }),
    refusals: createRefusalAggregator({ audit, windowMs: 60_000 }),
  });
  await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
  brokerUrl = `http://127.0.0.1:${(broker.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => broker?.close(resolve));
  await new Promise((resolve) => failingCouch?.close(resolve));
});

describe('an upstream failure reaches the device as the uniform 502, and the audit trail as detail', () => {
  it.each([
    [
      'a 500 with internal text',
      'POST',
      '/db/briefings/_bulk_get',
      { docs: [{ id: 'a' }] },
      INTERNAL,
    ],
    [
      'a 503 with a stack trace',
      'GET',
      '/db/briefings/_changes?since=0',
      undefined,
      'x is undefined',
    ],
    ['a failing document read', 'GET', '/db/briefings/briefing%3AA', undefined, INTERNAL],
    // The revision check before a rev= read fails: no pass, no detail.
    [
      'a failing revision check',
      'GET',
      `/db/briefings/briefing%3AA?rev=1-${'a'.repeat(32)}`,
      undefined,
      INTERNAL,
    ],
  ])('%s', async (_, method, path, body, detail) => {
    const res = await fetch(`${brokerUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${STUB_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    expect(res.status).toBe(502);
    expect(JSON.parse(text)).toEqual({ error: 'bad_gateway' });
    expect(text).not.toContain('forEach');
    expect(text).not.toContain(' at ');
    const [rawPath, query] = path.split('?');
    const record = records.find(
      (r) => r['path'] === rawPath && r['method'] === method && r['query'] === query,
    );
    expect(record).toMatchObject({ action: 'broker.request', user: USER, status: 502 });
    expect(String(record?.reason)).toContain(detail);
  });
});
