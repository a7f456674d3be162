import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../../server/src/broker/token-verifier.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const issuer = 'urn:test:issuer';
const audience = 'urn:test:broker';
const verifier = createTokenVerifier({ key: publicKey, issuer, audience, clockToleranceSec: 30 });
const now = () => Math.floor(Date.now() / 1000);

type Claims = { sub?: string; iss?: string; aud?: string; exp?: number; typ?: string };

function token(claims: Claims = {}, key = privateKey): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', typ: claims.typ ?? 'at+jwt' })
    .setIssuer(claims.iss ?? issuer)
    .setAudience(claims.aud ?? audience)
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? now() + 600);
  if (claims.sub !== '') jwt.setSubject(claims.sub ?? 'alex.morgan');
  return jwt.sign(key);
}

describe('access token verification', () => {
  it('accepts a well-formed token and returns its subject', async () => {
    const result = await verifier.verify(await token());
    expect(result).toMatchObject({ ok: true, token: { subject: 'alex.morgan' } });
  });

  it('accepts a token expired by less than the clock tolerance', async () => {
    expect((await verifier.verify(await token({ exp: now() - 10 }))).ok).toBe(true);
  });

  it.each([
    ['expired beyond the tolerance', () => token({ exp: now() - 60 }), 'token expired'],
    ['another issuer', () => token({ iss: 'urn:evil' }), 'claim "iss" invalid'],
    ['another audience', () => token({ aud: 'urn:other-api' }), 'claim "aud" invalid'],
    ['an id token instead of an access token', () => token({ typ: 'JWT' }), 'claim "typ" invalid'],
    ['no subject', () => token({ sub: '' }), 'claim "sub" invalid'],
    ['a signature from another key', () => token({}, other.privateKey), 'bad signature'],
  ])('refuses %s', async (_, make, reason) => {
    const result = await verifier.verify(await make());
    expect(result).toEqual({ ok: false, reason: expect.stringContaining(reason) as unknown });
  });

  it('refuses algorithm confusion: HS256 signed with the public key bytes, and alg none', async () => {
    const secret = new TextEncoder().encode(
      publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    );
    const hs = await new SignJWT({ sub: 'alex.morgan' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(now() + 600)
      .sign(secret);
    expect(await verifier.verify(hs)).toEqual({ ok: false, reason: 'algorithm not allowed' });
    const [, payload] = (await token()).split('.');
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${payload}.`;
    expect((await verifier.verify(none)).ok).toBe(false);
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const [header, , signature] = (await token()).split('.');
    const forged = Buffer.from(
      JSON.stringify({ sub: 'sam.taylor', iss: issuer, aud: audience, exp: now() + 600 }),
    ).toString('base64url');
    expect(await verifier.verify(`${header}.${forged}.${signature}`)).toEqual({
      ok: false,
      reason: 'bad signature',
    });
  });

  it('refuses garbage', async () => {
    expect((await verifier.verify('not-a-jwt')).ok).toBe(false);
  });
});
