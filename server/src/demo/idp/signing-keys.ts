// The development provider's signing keys (JWKS) and cookie keys, generated once and persisted in
// the data folder so that tokens and sessions survive restarts. Rotation prepends a new key: the
// provider signs with the first key and keeps publishing the previous ones, so tokens signed
// before the rotation stay verifiable until they expire, and verifiers find the new `kid` by
// refetching the JWKS.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { secretsDir } from '../../config/server-secrets.js';
import {
  randomSecret,
  readOrCreateSecretFile,
  writeFileAtomic,
} from '../../config/secret-files.js';

/** Algorithm of every token the development provider signs (Entra ID uses RS256). */
export const IDP_SIGNING_ALGORITHM = 'ES256';
/** Keys kept after a rotation: the current one and the previous ones still published. */
const KEPT_KEYS = 3;

const privateJwkSchema = z.looseObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string(),
  y: z.string(),
  d: z.string(),
  kid: z.string().min(1),
  alg: z.literal(IDP_SIGNING_ALGORITHM),
  use: z.literal('sig'),
});
const keysFileSchema = z.object({
  keys: z.array(privateJwkSchema).min(1),
  cookieKeys: z.array(z.string().min(32)).min(1),
});

export type IdpPrivateJwk = z.infer<typeof privateJwkSchema>;
export type IdpKeys = z.infer<typeof keysFileSchema>;

export function idpKeysFile(dataDir: string): string {
  return path.join(secretsDir(dataDir), 'idp-signing-keys.json');
}

function newSigningKey(): IdpPrivateJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return privateJwkSchema.parse({
    ...jwk,
    kid: `idp-${randomBytes(8).toString('hex')}`,
    alg: IDP_SIGNING_ALGORITHM,
    use: 'sig',
  });
}

function serialize(keys: IdpKeys): string {
  return JSON.stringify(keys, null, 2) + '\n';
}

export function loadOrCreateIdpKeys(dataDir: string): IdpKeys {
  return readOrCreateSecretFile(
    idpKeysFile(dataDir),
    () => serialize({ keys: [newSigningKey()], cookieKeys: [randomSecret(32)] }),
    (text) => keysFileSchema.parse(JSON.parse(text)),
  );
}

/**
 * Makes a new signing key current and keeps the last few for verification. Takes effect when the
 * provider next starts. Returns the new key id.
 */
export function rotateIdpSigningKey(dataDir: string): string {
  const current = loadOrCreateIdpKeys(dataDir);
  const fresh = newSigningKey();
  writeFileAtomic(
    idpKeysFile(dataDir),
    serialize({ ...current, keys: [fresh, ...current.keys].slice(0, KEPT_KEYS) }),
  );
  return fresh.kid;
}
