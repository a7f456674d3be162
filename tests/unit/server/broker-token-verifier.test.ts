// The broker's token checks, against a real JWKS endpoint on loopback: every property of a token
// that a forger could vary is pinned, and the provider's key rotation is followed by `kid`. A
// token the provider revoked (its list of revoked ids, polled over HTTP) is refused.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK } from 'jose';
import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwksKeyResolver } from '../../../server/src/broker/jwks.js';
import { createRevocationList } from '../../../server/src/broker/revocation-list.js';
import { createTokenVerifier } from '../../../server/src/broker/token-verifier.js';
import type { TokenPolicy } from '../../../server/src/broker/token-verifier.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

type SigningKey = { kid: string; privateKey: KeyObject; publicKey: KeyObject };
const newKey = (): SigningKey => ({
  kid: `k-${randomBytes(4).toString('hex')}`,
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }),
});

const issuer = 'https://idp.test';
const audience = 'api://attache-broker';
const policy: TokenPolicy = {
  issuer,
  audience,
  algorithms: ['ES256', 'RS256'],
  type: 'at+jwt',
  clockToleranceSec: 30,
  userClaim: 'sub',
  requiredScope: 'briefings.sync',
};
const now = () => Math.floor(Date.now() / 1000);

/** A JWKS endpoint whose published keys the test changes, counting the fetches. */
let published: SigningKey[] = [];
let fetches = 0;
let jwksServer: http.Server;
let jwksUrl: string;

beforeAll(async () => {
  jwksServer = http.createServer((_req, res) => {
    fetches += 1;
    void Promise.all(
      published.map(async (k) => ({
        ...(await exportJWK(k.publicKey)),
        kid: k.kid,
        alg: 'ES256',
        use: 'sig',
      })),
    ).then((keys) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys }));
    });
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
});
afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

type Claims = Record<string, unknown> & { exp?: number };
function sign(
  key: SigningKey,
  claims: Claims = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    scope: `${audience}/briefings.sync`,
    sub: 'alex.morgan',
    iss: issuer,
    aud: audience,
    iat: now(),
    exp: now() + 600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...header })
    .sign(key.privateKey);
}

function verifierFor(overrides: Partial<TokenPolicy> = {}, cooldownMs = 0) {
  return createTokenVerifier({
    key: createJwksKeyResolver({ issuer, jwksUrl, cooldownMs }),
    policy: { ...policy, ...overrides },
  });
}

describe('access token verification against the JWKS', () => {
  const current = newKey();
  beforeAll(() => {
    published = [current];
  });

  it('accepts a well-formed token and returns the user from `sub`', async () => {
    expect(await verifierFor().verify(await sign(current))).toEqual({
      ok: true,
      token: { user: 'alex.morgan', expiresAt: expect.any(Number) as unknown },
    });
  });

  it('reads the user from the configured claim (Entra ID: oid or preferred_username)', async () => {
    const token = await sign(current, { preferred_username: 'sam.taylor' });
    expect(await verifierFor({ userClaim: 'preferred_username' }).verify(token)).toMatchObject({
      ok: true,
      token: { user: 'sam.taylor' },
    });
    expect(await verifierFor({ userClaim: 'oid' }).verify(token)).toMatchObject({ ok: false });
  });

  it('accepts the scope in Entra ID form (`scp`, short) and refuses a token without it', async () => {
    const entra = await sign(current, { scope: undefined, scp: 'briefings.sync' });
    expect((await verifierFor().verify(entra)).ok).toBe(true);
    const other = await sign(current, { scope: 'openid profile' });
    expect(await verifierFor().verify(other)).toMatchObject({
      ok: false,
      reason: 'scope "briefings.sync" missing',
    });
  });

  it('accepts tokens within the clock tolerance', async () => {
    expect((await verifierFor().verify(await sign(current, { exp: now() - 10 }))).ok).toBe(true);
    expect((await verifierFor().verify(await sign(current, { nbf: now() + 10 }))).ok).toBe(true);
  });

  it.each([
    ['expired beyond the tolerance', () => sign(current, { exp: now() - 60 }), 'token expired'],
    ['not yet valid', () => sign(current, { nbf: now() + 120 }), 'token not yet valid'],
    ['another issuer', () => sign(current, { iss: 'https://evil.test' }), 'claim "iss" invalid'],
    [
      'the issuer with a trailing slash',
      () => sign(current, { iss: `${issuer}/` }),
      'claim "iss" invalid',
    ],
    ['another audience', () => sign(current, { aud: 'api://other' }), 'claim "aud" invalid'],
    ['an ID token (typ JWT)', () => sign(current, {}, { typ: 'JWT' }), 'claim "typ" invalid'],
    ['no user claim', () => sign(current, { sub: undefined }), 'claim "sub"'],
    ['no expiry', () => sign(current, { exp: undefined }), 'claim "exp"'],
    ['an unknown kid', () => sign(newKey()), 'unknown signing key (kid)'],
    [
      'a known kid but a signature from another key',
      () => sign({ ...newKey(), kid: current.kid }),
      'bad signature',
    ],
  ])('refuses %s', async (_, make, reason) => {
    const result = await verifierFor().verify(await make());
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining(reason) as unknown });
  });

  it('refuses algorithm confusion: HS256 signed with the public key, and alg none', async () => {
    const secret = new TextEncoder().encode(
      current.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    );
    const hs = await new SignJWT({ sub: 'alex.morgan', scope: 'briefings.sync' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: current.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(now() + 600)
      .sign(secret);
    expect(await verifierFor().verify(hs)).toEqual({ ok: false, reason: 'algorithm not allowed' });
    const [, payload] = (await sign(current)).split('.');
    const none = `${Buffer.from(`{"alg":"none","typ":"at+jwt","kid":"${current.kid}"}`).toString('base64url')}.${payload}.`;
    expect(await verifierFor().verify(none)).toMatchObject({ ok: false });
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const [header, , signature] = (await sign(current)).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        sub: 'sam.taylor',
        iss: issuer,
        aud: audience,
        exp: now() + 600,
        scope: 'briefings.sync',
      }),
    ).toString('base64url');
    expect(await verifierFor().verify(`${header}.${forged}.${signature}`)).toEqual({
      ok: false,
      reason: 'bad signature',
    });
  });

  it('refuses garbage', async () => {
    expect(await verifierFor().verify('not-a-jwt')).toMatchObject({ ok: false });
  });
});

describe('key rotation by kid', () => {
  it('follows a rotation: a new kid triggers one refetch; the old key verifies while published', async () => {
    const first = newKey();
    const second = newKey();
    published = [first];
    const verifier = verifierFor({}, 0);
    expect((await verifier.verify(await sign(first))).ok).toBe(true);
    const before = fetches;

    published = [second, first];
    expect((await verifier.verify(await sign(second))).ok).toBe(true);
    expect(fetches).toBe(before + 1);
    expect((await verifier.verify(await sign(first))).ok).toBe(true);
    expect(fetches).toBe(before + 1);

    // The provider retires the old key: tokens signed with it stop verifying after a refetch.
    published = [second];
    const retired = verifierFor({}, 0);
    expect(await retired.verify(await sign(first))).toMatchObject({
      ok: false,
      reason: 'unknown signing key (kid)',
    });
  });

  it('does not refetch on every unknown kid: at most once per cooldown', async () => {
    const key = newKey();
    published = [key];
    const verifier = verifierFor({}, 60_000);
    expect((await verifier.verify(await sign(key))).ok).toBe(true);
    const before = fetches;
    for (let i = 0; i < 5; i += 1) {
      expect((await verifier.verify(await sign(newKey()))).ok).toBe(false);
    }
    expect(fetches).toBe(before);
  });

  it('reports an unreachable key source as unavailable, not as a bad token', async () => {
    const verifier = createTokenVerifier({
      key: createJwksKeyResolver({ issuer, jwksUrl: 'http://127.0.0.1:9/jwks', timeoutMs: 1000 }),
      policy,
    });
    expect(await verifier.verify(await sign(newKey()))).toMatchObject({
      ok: false,
      unavailable: true,
    });
  });
});

describe('revoked tokens', () => {
  const key = newKey();
  /** What the provider's revoked-token list answers: a body, or a failing status. */
  let answer: { status: number; body: string } = { status: 200, body: '{"revoked":[]}' };
  let listServer: http.Server;
  let listUrl: string;
  beforeAll(async () => {
    published = [key];
    listServer = http.createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => listServer.listen(0, '127.0.0.1', resolve));
    listUrl = `http://127.0.0.1:${(listServer.address() as AddressInfo).port}/revoked-tokens`;
  });
  afterAll(() => new Promise<void>((resolve) => listServer.close(() => resolve())));

  const listOf = (entries: { jti: string; exp: number }[]) => JSON.stringify({ revoked: entries });
  const setUp = async () => {
    const list = createRevocationList({
      url: listUrl,
      fetch: (url, options) => fetch(url, options),
      pollIntervalMs: 3_600_000,
    });
    await list.refresh();
    const verifier = createTokenVerifier({
      key: createJwksKeyResolver({ issuer, jwksUrl, cooldownMs: 0 }),
      policy,
      isRevoked: (jti) => list.isRevoked(jti),
    });
    return { list, verifier };
  };

  it('refuses a token whose id the provider lists as revoked, and accepts the others', async () => {
    answer = { status: 200, body: listOf([{ jti: 'revoked-1', exp: now() + 600 }]) };
    const { list, verifier } = await setUp();
    try {
      expect(await verifier.verify(await sign(key, { jti: 'revoked-1' }))).toEqual({
        ok: false,
        reason: 'token revoked at the provider',
        user: 'alex.morgan',
      });
      expect(await verifier.verify(await sign(key, { jti: 'still-good' }))).toMatchObject({
        ok: true,
      });
    } finally {
      list.stop();
    }
  });

  it('keeps the last list while the provider fails or answers nonsense, and takes the next good one', async () => {
    answer = { status: 200, body: listOf([{ jti: 'revoked-2', exp: now() + 600 }]) };
    const { list } = await setUp();
    try {
      expect(list.isRevoked('revoked-2')).toBe(true);
      for (const failure of [
        { status: 503, body: '' },
        { status: 200, body: '{"revoked":"everything"}' },
        { status: 200, body: '{"revoked":[{"jti":1}]}' },
      ]) {
        answer = failure;
        expect(await list.refresh()).toBe(false);
        expect(list.isRevoked('revoked-2')).toBe(true);
      }
      answer = { status: 200, body: listOf([{ jti: 'revoked-3', exp: now() + 600 }]) };
      expect(await list.refresh()).toBe(true);
      expect(list.isRevoked('revoked-3')).toBe(true);
      expect(list.isRevoked('revoked-2')).toBe(false);
    } finally {
      list.stop();
    }
  });

  it('forgets a listed token once it has expired', async () => {
    answer = { status: 200, body: listOf([{ jti: 'old', exp: now() - 1 }]) };
    const { list } = await setUp();
    list.stop();
    expect(list.isRevoked('old')).toBe(false);
  });
});
