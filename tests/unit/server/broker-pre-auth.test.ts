// Before the broker spends a signature check: the client address (forwarded only by a trusted
// proxy), the address's failure budget, and the token's shape. Real HTTP requests on loopback
// for the address; a fake clock for the budget.
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPreAuthGate, tokenShapeProblem } from '../../../server/src/broker/pre-auth-limit.js';
import { createClientAddress, limitKeyOf } from '../../../server/src/http/client-address.js';
import { closeServer, listen } from '../../../server/src/http/json-http.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const shaped = (header: Record<string, unknown>) => `${b64(header)}.${b64({ sub: 'x' })}.c2ln`;

describe('token shape', () => {
  it.each([
    ['garbage', 'garbage', 'malformed token'],
    ['three segments that are not JSON', 'not.a.jwt', 'malformed token'],
    ['an empty signature (alg none)', `${b64({ alg: 'none' })}.${b64({})}.`, 'malformed token'],
    ['a header that is a JSON array', `${b64([1])}.${b64({})}.c2ln`, 'malformed token'],
    ['a header without alg', shaped({ typ: 'at+jwt' }), 'malformed token'],
    ['HS256', shaped({ alg: 'HS256', typ: 'at+jwt' }), 'algorithm not allowed'],
    ['alg none with a signature', shaped({ alg: 'none' }), 'algorithm not allowed'],
    ['16 KiB and more', `${shaped({ alg: 'ES256' })}${'A'.repeat(16 * 1024)}`, 'malformed token'],
    ['padding or standard base64', `${shaped({ alg: 'ES256' })}==`, 'malformed token'],
  ])('refuses %s unseen', (_name, token, problem) => {
    expect(tokenShapeProblem(token, ['ES256', 'RS256'])).toBe(problem);
  });

  it('passes a token of the right shape on to the verifier', () => {
    expect(tokenShapeProblem(shaped({ alg: 'ES256', typ: 'at+jwt', kid: 'k' }), ['ES256'])).toBe(
      null,
    );
  });
});

describe('limit key', () => {
  it('is the IPv4 address, and one /64 for IPv6, however it is written', () => {
    expect(limitKeyOf('203.0.113.7')).toBe('203.0.113.7');
    expect(limitKeyOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    const a = limitKeyOf('2001:db8:0:1::1');
    expect(a).toBe('2001:db8:0:1::/64');
    expect(limitKeyOf('2001:0db8:0000:0001:ffff:ffff:ffff:fffe')).toBe(a);
    expect(limitKeyOf('2001:db8:0:2::1')).not.toBe(a);
    expect(limitKeyOf('::1')).toBe('0:0:0:0::/64');
  });
});

describe('client address', () => {
  let server: http.Server;
  let port: number;
  let clientOf: (req: IncomingMessage) => string = () => '';
  beforeAll(async () => {
    server = http.createServer((req, res) => res.end(clientOf(req)));
    port = await listen(server, '127.0.0.1', 0);
  });
  afterAll(() => closeServer(server));

  const ask = async (headers: Record<string, string>) =>
    (await fetch(`http://127.0.0.1:${port}/`, { headers })).text();

  it('is the connecting address when no proxy is trusted, whatever X-Forwarded-For says', async () => {
    clientOf = createClientAddress([]);
    expect(await ask({ 'x-forwarded-for': '198.51.100.9' })).toBe('127.0.0.1');
  });

  it('is the forwarded address when the connecting one is a trusted proxy', async () => {
    clientOf = createClientAddress(['127.0.0.1']);
    expect(await ask({ 'x-forwarded-for': '198.51.100.9' })).toBe('198.51.100.9');
    // A client that writes its own X-Forwarded-For gets the address the proxy appended.
    expect(await ask({ 'x-forwarded-for': '10.9.9.9, 198.51.100.9' })).toBe('198.51.100.9');
    // Through two trusted proxies, the first address that is not one.
    clientOf = createClientAddress(['127.0.0.1', '10.0.0.0/8']);
    expect(await ask({ 'x-forwarded-for': '198.51.100.9, 10.1.2.3' })).toBe('198.51.100.9');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    clientOf = createClientAddress(['10.0.0.0/8']);
    expect(await ask({ 'x-forwarded-for': '198.51.100.9' })).toBe('127.0.0.1');
  });
});

describe('address failure budget', () => {
  const request = (client: string, authorization?: string) =>
    ({
      headers: authorization ? { authorization } : {},
      socket: { remoteAddress: client },
    }) as unknown as IncomingMessage;

  it('refuses an address (429) once it spent its failures, without looking at its token, and lets it try again later', () => {
    let clock = 0;
    const gate = createPreAuthGate({
      clientOf: (req) => req.socket.remoteAddress ?? '',
      algorithms: ['ES256'],
      failureBurst: 3,
      failuresPerMinute: 60,
      now: () => clock,
    });
    const good = `Bearer ${shaped({ alg: 'ES256' })}`;
    for (let i = 0; i < 3; i += 1) {
      expect(gate.admit(request('203.0.113.7', 'Bearer garbage'))).toMatchObject({
        ok: false,
        status: 401,
        reason: 'malformed token',
      });
    }
    // The fourth failure found the budget empty: from now on, not even a good shape is looked at.
    expect(gate.admit(request('203.0.113.7', 'Bearer garbage'))).toMatchObject({ status: 401 });
    const blocked = gate.admit(request('203.0.113.7', good));
    expect(blocked).toMatchObject({
      ok: false,
      status: 429,
      reason: 'too many failed authentications from this address',
      headers: { 'retry-after': '1' },
    });
    // Other addresses are not affected, nor another host's /64.
    expect(gate.admit(request('203.0.113.8', good))).toMatchObject({ ok: true });
    clock += 1_000;
    expect(gate.admit(request('203.0.113.7', good))).toMatchObject({ ok: true });
  });

  it('counts failures the verifier found, and not successes', () => {
    const gate = createPreAuthGate({
      clientOf: (req) => req.socket.remoteAddress ?? '',
      algorithms: ['ES256'],
      failureBurst: 2,
      failuresPerMinute: 1,
      now: () => 0,
    });
    const good = `Bearer ${shaped({ alg: 'ES256' })}`;
    for (let i = 0; i < 50; i += 1) {
      expect(gate.admit(request('2001:db8::1', good))).toMatchObject({ ok: true });
    }
    for (let i = 0; i < 3; i += 1) gate.failed('2001:db8::1');
    expect(gate.admit(request('2001:db8::2', good))).toMatchObject({ status: 429 });
  });
});
