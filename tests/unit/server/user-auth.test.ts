// How the server acts as a user towards CouchDB: per-user Basic with a derived password, or a
// short-lived ES256 token CouchDB checks against its public key.
import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  COUCH_JWT_ISSUER,
  UserAuthKeyError,
  couchJwtIni,
  createBasicUserAuth,
  createJwtUserAuth,
  deriveCouchPassword,
  parseJwtSigningKey,
} from '../../../server/src/couch/user-auth.js';
import { sameSecurity } from '../../../server/src/couch/security.js';

const pem = (type: 'ec' | 'rsa') => {
  const { privateKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
};

describe('per-user Basic authentication', () => {
  it('sends the derived password of that user, and asks for an account holding it', async () => {
    const auth = createBasicUserAuth('service-secret-0123456789abcdef0123');
    const password = deriveCouchPassword('service-secret-0123456789abcdef0123', 'alex.morgan');
    expect(auth.account('alex.morgan')).toEqual({ username: 'alex.morgan', password });
    expect(await auth.authorization('alex.morgan')).toBe(
      `Basic ${Buffer.from(`alex.morgan:${password}`).toString('base64')}`,
    );
  });
});

describe('per-user tokens', () => {
  it('signs a token naming the user, with issuer, key id and a five-minute expiry, and no roles', async () => {
    const key = parseJwtSigningKey(pem('ec'));
    const auth = createJwtUserAuth({ signingKey: key, keyId: 'k1', now: () => 1_000_000 });
    expect(auth.account('alex.morgan')).toBeNull();
    const header = await auth.authorization('alex.morgan');
    const token = header.replace(/^Bearer /, '');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'k1' });
    expect(decodeJwt(token)).toEqual({
      sub: 'alex.morgan',
      iss: COUCH_JWT_ISSUER,
      iat: 1_000_000,
      exp: 1_000_300,
    });
    // The public key in the ini CouchDB is given verifies it.
    const line = /^ec:k1 = (.*)$/m.exec(couchJwtIni(key, 'k1'))?.[1] ?? '';
    const publicKey = await importSPKI(line.replace(/\\n/g, '\n'), 'ES256');
    await expect(
      jwtVerify(token, publicKey, { currentDate: new Date(1_000_000_000) }),
    ).resolves.toBeDefined();
  });

  it('reuses a token until a minute before it expires, then signs a new one', async () => {
    let now = 1_000_000;
    const auth = createJwtUserAuth({
      signingKey: parseJwtSigningKey(pem('ec')),
      keyId: 'k1',
      now: () => now,
    });
    const first = await auth.authorization('alex.morgan');
    now += 239;
    expect(await auth.authorization('alex.morgan')).toBe(first);
    expect(await auth.authorization('sam.taylor')).not.toBe(first);
    now += 1;
    expect(await auth.authorization('alex.morgan')).not.toBe(first);
  });

  it('refuses a key that is not an EC P-256 private key, saying what it is not', () => {
    expect(() => parseJwtSigningKey('not a key')).toThrow(UserAuthKeyError);
    expect(() => parseJwtSigningKey(pem('rsa'))).toThrow(
      'not an EC P-256 (prime256v1) private key',
    );
  });
});

describe('security objects', () => {
  const wanted = {
    admins: { names: ['svc'], roles: [] },
    members: { names: ['alex', 'sam'], roles: [] },
  };
  it('count as the same whatever the order of names', () => {
    expect(
      sameSecurity(
        { admins: { names: ['svc'], roles: [] }, members: { names: ['sam', 'alex'], roles: [] } },
        wanted,
      ),
    ).toBe(true);
  });
  it('differ when a name, a role or a part is missing or extra', () => {
    expect(sameSecurity({}, wanted)).toBe(false);
    expect(sameSecurity({ ...wanted, members: { names: ['alex'], roles: [] } }, wanted)).toBe(
      false,
    );
    expect(
      sameSecurity({ ...wanted, members: { names: ['alex', 'sam'], roles: ['x'] } }, wanted),
    ).toBe(false);
    expect(sameSecurity({ ...wanted, admins: { names: ['svc', 'eve'], roles: [] } }, wanted)).toBe(
      false,
    );
  });
});
