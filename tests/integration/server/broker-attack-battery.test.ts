// The broker attack battery (issue 4): every hostile token and request is refused with the
// uniform answer AND leaves a 'refused' record with its reason in the audit trail. Valid tokens
// come from the real development provider (password sign-in); the hostile ones are crafted with
// jose, most of them signed with the provider's own key, so that each check is proven on its own.
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { SignJWT, decodeJwt, importJWK } from 'jose';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idpKeysFile } from '../../../server/src/demo/idp/signing-keys.js';
import { REFUSALS_RECORDED_EACH } from '../../../server/src/audit/refusal-aggregator.js';
import {
  DEV_IDP,
  DEVICE_ID_HEADER,
  DEVICE_WIPE_CONFIRMATION_HEADER,
  DEVICE_WIPE_CONFIRMATION_PATTERN,
  DEVICE_WIPE_DONE_PATH,
  DEVICE_WIPE_ERROR,
} from '../../../src/shared/protocol.js';
import { signInWithPassword } from './idp-client.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const A = 'alex.morgan';
const B = 'sam.taylor';
const RATE_USER = 'jordan.lee';
const MAX_BODY = 64 * 1024;
const BURST = 150;
const MAX_OPEN = 4;
const WINDOW_MS = 5_000;

let h: Harness;
let issuer: string;
let ca: string;
let tokenA: string;
let idTokenA: string;
let tokenRateUser: string;
let tokenB: string;
let briefingOfB: string;
let signWithProviderKey: (
  claims: Record<string, unknown>,
  header?: Record<string, unknown>,
) => Promise<string>;
let providerPublicPem: string;
let providerKid: string;

type RawReply = { status: number; headers: http.IncomingHttpHeaders; text: string };

/** A request with the path exactly as written (fetch would resolve `..` and `%2e%2e`). */
function raw(
  method: string,
  path: string,
  init: {
    token?: string;
    body?: string;
    chunked?: boolean;
    headers?: Record<string, string>;
    /** The source address (any of 127/8): a peer that is not the trusted proxy. */
    localAddress?: string;
  } = {},
): Promise<RawReply> {
  const url = new URL(h.server.urls.broker);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        ...(init.localAddress ? { localAddress: init.localAddress } : {}),
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(init.body !== undefined && !init.chunked
            ? { 'content-length': String(Buffer.byteLength(init.body)) }
            : {}),
          ...init.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    // The broker may answer (413) and close before a large body is fully sent.
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    if (init.body !== undefined && init.chunked) {
      const body = Buffer.from(init.body);
      for (let i = 0; i < body.length; i += 8192) req.write(body.subarray(i, i + 8192));
      req.end();
    } else req.end(init.body);
  });
}

type AuditRecord = Record<string, unknown> & { action: string; decision: string; reason: string };

function auditRecords(): AuditRecord[] {
  return fs
    .readFileSync(h.server.files.auditLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditRecord);
}

/** Waits for the refusal record of `path` (the audit stream writes asynchronously). */
async function expectAudited(
  path: string,
  reason: string | RegExp,
  extra: Record<string, unknown> = {},
  method = 'GET',
): Promise<void> {
  await waitFor(
    `audit record for ${method} ${path} (${String(reason)})`,
    async () =>
      Promise.resolve(
        auditRecords().some(
          (r) =>
            r.action === 'broker.request' &&
            r.decision === 'refused' &&
            r['path'] === path &&
            r['method'] === method &&
            (typeof reason === 'string' ? r.reason.includes(reason) : reason.test(r.reason)) &&
            Object.entries(extra).every(([k, v]) => r[k] === v),
        )
          ? true
          : undefined,
      ),
    5_000,
  );
}

async function expectRefused(
  reply: RawReply,
  status: number,
  body: Record<string, string>,
): Promise<void> {
  expect(reply.status).toBe(status);
  expect(JSON.parse(reply.text)).toEqual(body);
  expect(reply.text).not.toContain('For Sam only');
  await Promise.resolve();
}

/** Every byte of `text` percent-encoded: `userdb-…` becomes `%75%73%65…`. */
function percentEncodeAll(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => `%${byte.toString(16).padStart(2, '0')}`)
    .join('');
}

const now = () => Math.floor(Date.now() / 1000);
const UNAUTHORIZED = { error: 'unauthorized' };
const FORBIDDEN = { error: 'forbidden' };

beforeAll(async () => {
  h = await startHarness({
    seedDemoData: false,
    brokerMaxBodyBytes: MAX_BODY,
    brokerRateBurst: BURST,
    brokerRatePerSec: 20,
    brokerMaxOpenPerUser: MAX_OPEN,
    // The battery's requests come from 127.0.0.1, standing in for a load balancer: those that
    // carry X-Forwarded-For come from the address it names.
    brokerTrustedProxies: ['127.0.0.1'],
    auditRefusalWindowMs: WINDOW_MS,
  });
  issuer = h.server.urls.idp ?? '';
  ca = fs.readFileSync(h.server.files.devCa ?? '', 'utf8');
  const a = await h.admin('POST', '/briefings', briefingInput('For Alex only', [A]));
  const b = await h.admin('POST', '/briefings', briefingInput('For Sam only', [B]));
  briefingOfB = `briefing:${(b.body as { sorId: string }).sorId}`;
  const briefingOfA = `briefing:${(a.body as { sorId: string }).sorId}`;
  const [setA, setB, setRate] = await Promise.all([
    signInWithPassword(issuer, ca, A, 'attache-alex'),
    signInWithPassword(issuer, ca, B, 'attache-sam'),
    signInWithPassword(issuer, ca, RATE_USER, 'attache-jordan'),
  ]);
  tokenA = setA.access_token;
  idTokenA = setA.id_token ?? '';
  tokenRateUser = setRate.access_token;
  tokenB = setB.access_token;
  for (const [token, id] of [
    [tokenA, briefingOfA],
    [setB.access_token, briefingOfB],
  ] as const) {
    await waitFor(`${id} delivered`, async () =>
      (await raw('GET', `/db/briefings/${encodeURIComponent(id)}`, { token })).status === 200
        ? true
        : undefined,
    );
  }

  const keys = JSON.parse(fs.readFileSync(idpKeysFile(h.dataDir), 'utf8')) as { keys: JWK[] };
  const current = keys.keys[0] as JWK & { kid: string };
  providerKid = current.kid;
  const privateKey = await importJWK(current, 'ES256');
  const { d: _d, ...publicJwk } = current;
  providerPublicPem = createPublicKey({
    key: publicJwk,
    format: 'jwk',
  })
    .export({ format: 'pem', type: 'spki' })
    .toString();
  const base = decodeJwt(tokenA);
  signWithProviderKey = (claims, header = {}) =>
    new SignJWT({ ...base, iat: now(), exp: now() + 600, ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: providerKid, ...header })
      .sign(privateKey);
});
afterAll(async () => {
  await h?.stop();
});

describe('the battery is real: the same requests succeed when nothing is wrong', () => {
  it('accepts the provider’s token, and a token re-signed with the provider’s key', async () => {
    const own = await raw('GET', '/db/briefings', { token: tokenA });
    expect(own.status).toBe(200);
    // Proxied answers cannot run as a page and name no upstream server.
    expect(own.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(own.headers['x-content-type-options']).toBe('nosniff');
    expect(own.headers['server']).toBeUndefined();
    expect(
      (await raw('GET', '/db/briefings', { token: await signWithProviderKey({}) })).status,
    ).toBe(200);
  });
});

describe('the server root above the aliases', () => {
  it('answers PouchDB’s checkpoint-id probe with a greeting that names no upstream, and audits it', async () => {
    const reply = await raw('GET', '/db/', { token: tokenA });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({
      couchdb: 'Welcome',
      vendor: { name: 'Attaché broker' },
    });
    await waitFor(
      'audit record of the allowed server-root probe',
      () =>
        Promise.resolve(
          auditRecords().some(
            (r) =>
              r.decision === 'allowed' &&
              r['path'] === '/db/' &&
              r['user'] === A &&
              r.reason === 'server root',
          )
            ? true
            : undefined,
        ),
      5_000,
    );
    expect((await raw('GET', '/db/', {})).status).toBe(401);
  });
});

describe('hostile tokens are refused (401) and audited', () => {
  const cases: [string, () => Promise<string>, string | RegExp][] = [
    [
      'alg none',
      () => {
        const [, payload] = tokenA.split('.');
        const header = Buffer.from(
          JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: providerKid }),
        ).toString('base64url');
        return Promise.resolve(`${header}.${payload}.`);
      },
      /algorithm|malformed|JWS/,
    ],
    [
      'HS256 signed with the provider’s public key',
      () =>
        new SignJWT(decodeJwt(tokenA))
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: providerKid })
          .sign(new TextEncoder().encode(providerPublicPem)),
      'algorithm not allowed',
    ],
    [
      'a wrong issuer',
      () => signWithProviderKey({ iss: 'https://evil.example' }),
      'claim "iss" invalid',
    ],
    [
      'the issuer with a trailing slash',
      () => signWithProviderKey({ iss: `${issuer}/` }),
      'claim "iss" invalid',
    ],
    [
      'a wrong audience',
      () => signWithProviderKey({ aud: 'api://another-api' }),
      'claim "aud" invalid',
    ],
    [
      'an expired token',
      () => signWithProviderKey({ iat: now() - 1200, exp: now() - 120 }),
      'token expired',
    ],
    [
      'a token not yet valid',
      () => signWithProviderKey({ nbf: now() + 600 }),
      'token not yet valid',
    ],
    [
      'an unknown kid',
      () =>
        new SignJWT({ ...decodeJwt(tokenA) })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'idp-unknown' })
          .sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
      'unknown signing key (kid)',
    ],
    [
      'a tampered payload (sub changed to another user)',
      () => {
        const [header, , signature] = tokenA.split('.');
        const payload = Buffer.from(JSON.stringify({ ...decodeJwt(tokenA), sub: B })).toString(
          'base64url',
        );
        return Promise.resolve(`${header}.${payload}.${signature}`);
      },
      'bad signature',
    ],
    [
      'the ID token instead of an access token',
      () => Promise.resolve(idTokenA),
      'claim "typ" invalid',
    ],
    [
      'a token without the sync scope',
      () => signWithProviderKey({ scope: 'openid' }),
      'scope "briefings.sync" missing',
    ],
    ['garbage', () => Promise.resolve('not.a.jwt'), /malformed|JWS|token/],
  ];

  it.each(cases)('%s', async (name, make, reason) => {
    const path = `/db/briefings/attack-${name.replace(/[^a-z0-9]+/gi, '-')}`;
    const reply = await raw('GET', path, { token: await make() });
    await expectRefused(reply, 401, UNAUTHORIZED);
    expect(reply.headers['www-authenticate']).toContain('Bearer');
    await expectAudited(path, reason);
  });

  it('no token at all', async () => {
    await expectRefused(await raw('GET', '/db/briefings/attack-no-token'), 401, UNAUTHORIZED);
    await expectAudited('/db/briefings/attack-no-token', 'no bearer token');
  });
});

describe("user A's valid token against user B's data is refused (403) and audited", () => {
  const hexB = Buffer.from(B).toString('hex');
  const bDbs = () => h.dbNames(B);
  const paths = (): string[] => [
    `/db/${bDbs().briefings}`,
    `/db/${bDbs().briefings}/${encodeURIComponent(briefingOfB)}`,
    `/db/${bDbs().returns}`,
    `/db/${bDbs().briefings}/`,
    `/db/${bDbs().returns}//`,
    `/db/%75serdb-${hexB}`,
    `/db/${percentEncodeAll(bDbs().briefings)}`,
    `/db/userdb-${hexB.toUpperCase()}`,
    `/db/userdb-${hexB.toUpperCase()}/`,
    `/${bDbs().briefings}/${encodeURIComponent(briefingOfB)}`,
    `/db/briefings/../${bDbs().briefings}`,
    `/db/briefings/%2e%2e/${bDbs().briefings}`,
    `/db/briefings/%2E%2E/${bDbs().briefings}/${encodeURIComponent(briefingOfB)}`,
    `/db/briefings/..%2F${bDbs().briefings}`,
    `/db/briefings%2F..%2F${bDbs().briefings}`,
    `/db/briefings/x%2F..%2F..%2F${bDbs().briefings}`,
    `/db/briefings/%5C..%5C${bDbs().briefings}`,
    `/db/briefings//${bDbs().briefings}`,
    `/db/briefings/${encodeURIComponent(briefingOfB)}/`,
    `/db/Briefings`,
    `/DB/briefings`,
    `/db/BRIEFINGS/${encodeURIComponent(briefingOfB)}`,
    `/db/%62riefings`,
    `/db/%62%72%69%65%66%69%6e%67%73/${encodeURIComponent(briefingOfB)}`,
    `/db/briefings.${hexB}`,
    `/db/returns/..`,
    `/db/returns/%2e%2e/%2e%2e/${bDbs().returns}`,
  ];

  it('every spelling of another database is refused, uniformly, with nothing of B in the answer', async () => {
    for (const path of paths()) {
      const reply = await raw('GET', path, { token: tokenA });
      await expectRefused(reply, 403, FORBIDDEN);
      await expectAudited(path.slice(0, 256), /./, { user: A });
    }
  });

  it('a trailing slash on the alias still means A’s own database', async () => {
    const reply = await raw('GET', '/db/briefings/', { token: tokenA });
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.text) as { db_name: string }).db_name).toBe(h.dbNames(A).briefings);
  });

  it("B's document id through A's alias finds nothing: the alias is A's database", async () => {
    const reply = await raw('GET', `/db/briefings/${encodeURIComponent(briefingOfB)}`, {
      token: tokenA,
    });
    expect(reply.status).toBe(404);
    expect(reply.text).not.toContain('For Sam only');
  });
});

describe("annotations in another person's name are refused (403) and audited", () => {
  const event = (author: string) => ({
    type: 'annotation-event',
    annotationId: randomUUID(),
    action: 'create',
    clock: 1,
    deviceId: randomUUID(),
    briefingId: briefingOfB,
    sorId: briefingOfB.replace(/^briefing:/, ''),
    sourceVersion: 1,
    note: 'Planted note',
    writtenAt: new Date().toISOString(),
    author,
  });

  it.each([
    ['PUT of one event', 'doc'],
    ['_bulk_docs', 'bulk'],
  ])('%s written by A with B as its author', async (_, form) => {
    const id = `annotation-event:${randomUUID()}`;
    const path =
      form === 'doc' ? `/db/returns/${encodeURIComponent(id)}` : '/db/returns/_bulk_docs';
    const body =
      form === 'doc'
        ? JSON.stringify(event(B))
        : JSON.stringify({ docs: [{ _id: id, ...event(B) }] });
    const reply = await raw(form === 'doc' ? 'PUT' : 'POST', path, { token: tokenA, body });
    if (form === 'doc') expect(reply.status).toBe(403);
    else
      expect(JSON.parse(reply.text)).toEqual([expect.objectContaining({ id, error: 'forbidden' })]);
    await waitFor('the refusal in the audit trail', () =>
      Promise.resolve(
        auditRecords().some(
          (r) =>
            r.action === 'returns.invalid' &&
            r['user'] === A &&
            r['docId'] === id &&
            r.reason.includes('The author must be the signed-in user.'),
        ) || undefined,
      ),
    );
    // Nothing of it stands in either person's returns database.
    expect(
      (await raw('GET', `/db/returns/${encodeURIComponent(id)}`, { token: tokenA })).status,
    ).toBe(404);
    expect(
      (await raw('GET', `/db/returns/${encodeURIComponent(id)}`, { token: tokenB })).status,
    ).toBe(404);
  });
});

describe('server-level and administrative endpoints are refused (403) and audited', () => {
  it.each([
    ['GET', '/_all_dbs'],
    ['GET', '/_users'],
    ['GET', `/_users/org.couchdb.user%3A${B}`],
    ['GET', '/_config'],
    ['GET', '/_node/_local/_config'],
    ['POST', '/_replicate'],
    ['POST', '/_session'],
    ['GET', '/_session'],
    ['GET', '/_utils/'],
    ['GET', '/'],
    ['GET', '/db/briefings/_all_dbs'],
    ['GET', '/db/briefings/_security'],
    ['PUT', '/db/returns/_security'],
    ['PUT', '/db/briefings/_design/attache'],
    ['PUT', '/db/returns/_design/evil'],
    ['PUT', '/db/returns/_design%2Fevil'],
    ['DELETE', '/db/returns/_design/attache'],
    ['POST', '/db/briefings/_compact'],
    ['POST', '/db/returns/_purge'],
    ['POST', '/db/briefings/_find'],
    ['GET', '/db/briefings/_design/attache/_view/all'],
  ])('%s %s', async (method, path) => {
    const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
    const reply = await raw(method, path, { token: tokenA, ...(body ? { body } : {}) });
    await expectRefused(reply, 403, FORBIDDEN);
    await expectAudited(path, /./, { user: A }, method);
  });

  it('a design document smuggled inside _bulk_docs to returns', async () => {
    const reply = await raw('POST', '/db/returns/_bulk_docs', {
      token: tokenA,
      body: JSON.stringify({
        docs: [{ _id: '_design/evil', validate_doc_update: 'function(){}' }],
      }),
    });
    await expectRefused(reply, 403, FORBIDDEN);
    await expectAudited('/db/returns/_bulk_docs', 'reserved document id', { user: A }, 'POST');
  });
});

describe('writes to the briefings database are refused (403) and audited', () => {
  it.each([
    ['PUT', '/db/briefings/evil', '{"type":"briefing"}'],
    ['POST', '/db/briefings/_bulk_docs', '{"docs":[{"_id":"evil"}]}'],
    ['POST', '/db/briefings', '{"_id":"evil"}'],
    ['DELETE', '/db/briefings/some-doc?rev=1-abc', undefined],
    ['PUT', '/db/briefings/some-doc/evil.pdf', '"x"'],
    ['DELETE', '/db/briefings', undefined],
    ['PUT', '/db/briefings', undefined],
  ])('%s %s', async (method, path, body) => {
    const reply = await raw(method, path, { token: tokenA, ...(body ? { body } : {}) });
    await expectRefused(reply, 403, FORBIDDEN);
    await expectAudited(path.split('?')[0] ?? path, /read-only|not allowed/, { user: A }, method);
  });
});

describe('limits', () => {
  const big = JSON.stringify({
    docs: [{ _id: 'r-1', type: 'read-receipt', pad: 'x'.repeat(MAX_BODY) }],
  });

  it('refuses a body over the limit (413), declared or streamed, and audits it', async () => {
    await expectRefused(
      await raw('POST', '/db/returns/_bulk_docs', { token: tokenA, body: big }),
      413,
      { error: 'payload_too_large' },
    );
    await expectAudited('/db/returns/_bulk_docs', 'over the limit', { user: A }, 'POST');
    const streamed = await raw('PUT', '/db/returns/receipt-big', {
      token: tokenA,
      body: big,
      chunked: true,
    });
    await expectRefused(streamed, 413, { error: 'payload_too_large' });
    await expectAudited('/db/returns/receipt-big', 'body over the limit', { user: A }, 'PUT');
  });

  it('refuses too many requests from one user (429, Retry-After) without slowing another', async () => {
    let limited: RawReply | null = null;
    for (let i = 0; i < BURST * 2 && !limited; i += 1) {
      const reply = await raw('GET', '/db/briefings/_local/rate-probe', { token: tokenRateUser });
      if (reply.status === 429) limited = reply;
    }
    expect(limited).not.toBeNull();
    await expectRefused(limited!, 429, { error: 'too_many_requests' });
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await expectAudited('/db/briefings/_local/rate-probe', 'rate limit exceeded', {
      user: RATE_USER,
    });
    expect((await raw('GET', '/db/briefings', { token: tokenA })).status).toBe(200);
  });
});

describe('open requests', () => {
  it('caps the feeds one user holds open (429), and frees a place when one closes', async () => {
    const url = new URL(h.server.urls.broker);
    const feeds = Array.from({ length: MAX_OPEN }, () => {
      const req = http.get({
        host: url.hostname,
        port: url.port,
        path: '/db/briefings/_changes?feed=continuous&since=now&heartbeat=1000',
        headers: { authorization: `Bearer ${tokenB}` },
      });
      req.on('error', () => undefined);
      return { req, started: new Promise((resolve) => req.on('response', resolve)) };
    });
    try {
      await Promise.all(feeds.map((f) => f.started));
      const over = await raw('GET', '/db/briefings/_changes', { token: tokenB });
      await expectRefused(over, 429, { error: 'too_many_requests' });
      await expectAudited('/db/briefings/_changes', 'too many open requests', { user: B });
      expect((await raw('GET', '/db/briefings', { token: tokenA })).status).toBe(200);
      feeds[0]?.req.destroy();
      await waitFor('a freed place', async () =>
        (await raw('GET', '/db/briefings', { token: tokenB })).status === 200 ? true : undefined,
      );
    } finally {
      for (const f of feeds) f.req.destroy();
    }
  });
});

describe('audit trail', () => {
  it('records allowed requests too, with who, what and why', async () => {
    await raw('GET', '/db/briefings/_changes?since=0', { token: tokenA });
    await waitFor('allowed record', async () =>
      Promise.resolve(
        auditRecords().some(
          (r) =>
            r.action === 'broker.request' &&
            r.decision === 'allowed' &&
            r['user'] === A &&
            r['method'] === 'GET' &&
            r['path'] === '/db/briefings/_changes' &&
            r.reason === 'own database' &&
            r['status'] === 200,
        )
          ? true
          : undefined,
      ),
    );
  });

  it('records what the database answered: a write the broker allows but CouchDB refuses shows 403', async () => {
    // Returns hold only the user's own read receipts; CouchDB's validation refuses anything else.
    const path = `/db/returns/not-a-receipt-${Date.now()}`;
    const reply = await raw('PUT', path, { token: tokenA, body: JSON.stringify({ type: 'note' }) });
    expect(reply.status).toBe(403);
    await waitFor('allowed record with the database status', async () =>
      Promise.resolve(
        auditRecords().some(
          (r) =>
            r.action === 'broker.request' &&
            r.decision === 'allowed' &&
            r['user'] === A &&
            r['method'] === 'PUT' &&
            r['path'] === path &&
            r['status'] === 403,
        )
          ? true
          : undefined,
      ),
    );
  });

  it('records a request whose device went away while sending its body', async () => {
    const path = `/db/returns/receipt-abandoned-${Date.now()}`;
    const url = new URL(h.server.urls.broker);
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path,
        headers: {
          authorization: `Bearer ${tokenA}`,
          'content-type': 'application/json',
          'content-length': '4096',
        },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write('{"type":"read-receipt",');
      setTimeout(() => req.destroy(), 200);
    });
    await waitFor('record of the abandoned request', async () =>
      Promise.resolve(
        auditRecords().some(
          (r) =>
            r.action === 'broker.request' &&
            r.decision === 'refused' &&
            r['user'] === A &&
            r['method'] === 'PUT' &&
            r['path'] === path,
        )
          ? true
          : undefined,
      ),
    );
  });

  it('stays up when devices leave at every moment of their answers', async () => {
    // Requests dropped at random points, down to the moment CouchDB's answer starts: the broker
    // must never pipe into a response that is already closed (that threw, outside any handler).
    const url = new URL(h.server.urls.broker);
    const paths = [
      '/db/briefings/_all_docs?include_docs=true',
      '/db/briefings/_changes?style=all_docs&include_docs=true',
      '/db/briefings',
    ];
    await Promise.all(
      Array.from(
        { length: 300 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const req = http.request({
              host: url.hostname,
              port: url.port,
              path: paths[i % paths.length],
              headers: { authorization: `Bearer ${tokenA}` },
            });
            req.on('response', (res) => {
              res.resume();
              res.on('end', resolve);
            });
            req.on('error', () => resolve());
            req.on('close', () => resolve());
            req.end();
            setTimeout(() => req.destroy(), (i % 30) / 3);
          }),
      ),
    );
    const after = await h.broker('/db/briefings', { token: tokenA });
    expect(after.status).toBe(200);
  });

  it('never writes a token into the audit trail', () => {
    const text = fs.readFileSync(h.server.files.auditLog, 'utf8');
    expect(text).not.toContain(tokenA);
    expect(text).not.toContain(tokenA.split('.')[2]);
  });

  it('holds the sign-ins and token grants of the provider', () => {
    const records = auditRecords();
    expect(records).toContainEqual(
      expect.objectContaining({
        action: 'idp.sign-in',
        user: A,
        decision: 'allowed',
        client: DEV_IDP.readerClientId,
      }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        action: 'idp.token',
        user: A,
        decision: 'allowed',
        grantType: 'authorization_code',
      }),
    );
  });
});

/** How many requests the records account for: one each, or the count of a summary record. */
const accountedFor = (records: AuditRecord[]) =>
  records.reduce((sum, r) => sum + (typeof r['count'] === 'number' ? r['count'] : 1), 0);

describe('floods before authentication', () => {
  it('300 garbage tokens in a burst cost a bounded number of audit records, one counting the rest; the address is then refused unseen (429)', async () => {
    const flooder = '198.51.100.77';
    const started = Date.now();
    const replies = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        raw('GET', `/db/briefings/flood-${i}`, {
          token: `garbage-${i}`,
          headers: { 'x-forwarded-for': flooder },
        }),
      ),
    );
    const elapsed = Date.now() - started;
    const byStatus = (status: number) => replies.filter((r) => r.status === status);
    expect(byStatus(401).length + byStatus(429).length).toBe(300);
    // The address's budget (30 failures) went first; the rest were refused before any check.
    expect(byStatus(401).length).toBeLessThanOrEqual(40);
    for (const reply of byStatus(429)) {
      expect(JSON.parse(reply.text)).toEqual({ error: 'too_many_requests' });
      expect(Number(reply.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Even a valid token is not looked at from that address for now; another address is served.
    const blocked = await raw('GET', '/db/briefings', {
      token: tokenA,
      headers: { 'x-forwarded-for': flooder },
    });
    expect(blocked.status).toBe(429);
    const elsewhere = await raw('GET', '/db/briefings', {
      token: tokenA,
      headers: { 'x-forwarded-for': '198.51.100.78' },
    });
    expect(elsewhere.status).toBe(200);

    // Every one of the 301 refusals is accounted for once its kind's window has ended ...
    const ofFlooder = () => auditRecords().filter((r) => r['client'] === flooder);
    await waitFor(
      'the flood counted in the audit trail',
      () => Promise.resolve(accountedFor(ofFlooder()) === 301 ? true : undefined),
      WINDOW_MS * 4,
    );
    // ... in a handful of records: per kind (malformed token, address blocked) and per window
    // the burst touched, the first five each and one summary.
    const records = ofFlooder();
    const windows = Math.ceil(elapsed / WINDOW_MS) + 1;
    expect(records.length).toBeLessThanOrEqual(2 * (REFUSALS_RECORDED_EACH + 1) * windows);
    expect(records).toContainEqual(
      expect.objectContaining({
        reason: 'malformed token',
        status: 401,
        aggregated: true,
        count: expect.any(Number) as unknown,
      }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        reason: 'too many failed authentications from this address',
        status: 429,
        aggregated: true,
      }),
    );
  });

  it('takes X-Forwarded-For only from the trusted proxy: another peer is its own address', async () => {
    const path = `/db/briefings/forwarded-${Date.now()}`;
    const reply = await raw('GET', path, {
      localAddress: '127.0.0.2',
      headers: { 'x-forwarded-for': '198.51.100.99' },
    });
    expect(reply.status).toBe(401);
    await expectAudited(path, 'no bearer token', { client: '127.0.0.2' });
  });
});

describe('a wipe confirmation without the order’s one-time value completes nothing', () => {
  const device = '0b0e4a3c-7d55-4c1e-9a55-3c2f7a9d1e11';
  const fromDevice = (method: string, path: string, extra: Record<string, string> = {}) =>
    raw(method, path, { token: tokenA, headers: { [DEVICE_ID_HEADER]: device, ...extra } });
  const ops = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${h.server.urls.ops}${path}`, {
      method,
      headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as {
      devices?: { deviceId: string; wipe: { state: string; orderId: string } | null }[];
    };
  };
  const wipeState = async () =>
    (await ops('GET', `/devices?user=${A}`)).devices?.find((d) => d.deviceId === device)?.wipe;

  it('refuses a bare or made-up confirmation, keeps the order pending, and completes it with the value the order carried', async () => {
    expect((await fromDevice('GET', '/db/briefings')).status).toBe(200);
    await waitFor('the device on record', async () =>
      (await ops('GET', `/devices?user=${A}`)).devices?.some((d) => d.deviceId === device)
        ? true
        : undefined,
    );
    await ops('POST', '/devices/wipe', { user: A, deviceId: device, orderedBy: 'battery' });
    const order = await fromDevice('GET', '/db/briefings');
    expect(order.status).toBe(403);
    const body = JSON.parse(order.text) as { error: string; confirmation: string };
    expect(body.error).toBe(DEVICE_WIPE_ERROR);
    expect(body.confirmation).toMatch(DEVICE_WIPE_CONFIRMATION_PATTERN);

    // What a token holder could send without having received the order: nothing completes.
    const attempts: Record<string, string>[] = [
      {},
      { [DEVICE_WIPE_CONFIRMATION_HEADER]: 'A'.repeat(43) },
    ];
    for (const extra of attempts) {
      await expectRefused(await fromDevice('POST', DEVICE_WIPE_DONE_PATH, extra), 403, FORBIDDEN);
    }
    expect(await wipeState()).toMatchObject({ state: 'pending' });
    await expectAudited(
      DEVICE_WIPE_DONE_PATH,
      'wipe confirmation without the order’s one-time value',
      { user: A, deviceId: device },
      'POST',
    );
    expect((await fromDevice('GET', '/db/briefings')).status).toBe(403);

    const done = await fromDevice('POST', DEVICE_WIPE_DONE_PATH, {
      [DEVICE_WIPE_CONFIRMATION_HEADER]: body.confirmation,
    });
    expect(done.status).toBe(200);
    expect(await wipeState()).toMatchObject({ state: 'completed' });
    expect(auditRecords()).toContainEqual(
      expect.objectContaining({ action: 'device.wipe-completed', user: A, deviceId: device }),
    );
    // The device signs in like any other afterwards.
    await waitFor('the device served again', async () =>
      (await fromDevice('GET', '/db/briefings')).status === 200 ? true : undefined,
    );
  });
});
