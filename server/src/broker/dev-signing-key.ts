// Embedded mode only, and only while ATTACHE_DEV_TOKENS is on: a development ES256 key pair,
// generated on first run in the data folder, with which the broker mints access tokens for
// POST /dev/token and accepts them (by its `kid`) besides the identity provider's. Transitional:
// it goes once the device signs in through the development OpenID provider.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import { SignJWT, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { z } from 'zod';
import { readOrCreateSecretFile } from '../config/secret-files.js';
import { ACCESS_TOKEN_TYPE } from './token-verifier.js';
import type { DevTokenMinter } from './types.js';

export const DEV_TOKEN_TTL_SEC = 3600;
const ACCESS_TOKEN_ALGORITHM = 'ES256';

const keyFileSchema = z.object({
  kid: z.string().min(1),
  privateJwk: z.looseObject({ kty: z.literal('EC'), crv: z.literal('P-256'), d: z.string() }),
});

export type DevSigningKey = {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
};

export function devSigningKeyFile(dataDir: string): string {
  return path.join(dataDir, 'secrets', 'dev-signing-key.json');
}

export async function loadOrCreateDevSigningKey(dataDir: string): Promise<DevSigningKey> {
  const stored = readOrCreateSecretFile(
    devSigningKeyFile(dataDir),
    () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const privateJwk = privateKey.export({ format: 'jwk' });
      return (
        JSON.stringify({ kid: `dev-${randomBytes(6).toString('hex')}`, privateJwk }, null, 2) + '\n'
      );
    },
    (text) => keyFileSchema.parse(JSON.parse(text)),
  );
  const { d: _d, ...publicJwk } = stored.privateJwk;
  const privateKey = (await importJWK(
    stored.privateJwk as JWK,
    ACCESS_TOKEN_ALGORITHM,
  )) as CryptoKey;
  const publicKey = (await importJWK(publicJwk as JWK, ACCESS_TOKEN_ALGORITHM)) as CryptoKey;
  return { kid: stored.kid, privateKey, publicKey };
}

export function createDevTokenMinter(deps: {
  key: DevSigningKey;
  issuer: string;
  audience: string;
  scope: string;
}): DevTokenMinter {
  return {
    async mint(userId) {
      const accessToken = await new SignJWT({ scope: deps.scope })
        .setProtectedHeader({
          alg: ACCESS_TOKEN_ALGORITHM,
          typ: ACCESS_TOKEN_TYPE,
          kid: deps.key.kid,
        })
        .setSubject(userId)
        .setIssuer(deps.issuer)
        .setAudience(deps.audience)
        .setIssuedAt()
        .setExpirationTime(`${DEV_TOKEN_TTL_SEC}s`)
        .setJti(randomBytes(12).toString('base64url'))
        .sign(deps.key.privateKey);
      return { accessToken, expiresIn: DEV_TOKEN_TTL_SEC };
    },
  };
}
