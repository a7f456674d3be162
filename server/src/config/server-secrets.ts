// The server's own secrets, generated on first run in <dataDir>/secrets/ and reused afterwards.
import path from 'node:path';
import { z } from 'zod';
import { randomSecret, readOrCreateSecretFile } from './secret-files.js';

export type ServiceCredentials = { readonly username: string; readonly password: string };

export type ServerSecrets = {
  /** The CouchDB server admin the pipeline writes as. */
  readonly couchAdmin: ServiceCredentials;
  /** Key from which each user's CouchDB password is derived (see couch/user-auth.ts). */
  readonly serviceSecret: string;
};

const serverSecretsSchema = z.object({
  couchAdmin: z.object({ username: z.string().min(1), password: z.string().min(16) }),
  serviceSecret: z.string().min(32),
});

export function secretsDir(dataDir: string): string {
  return path.join(dataDir, 'secrets');
}

export function serverSecretsFile(dataDir: string): string {
  return path.join(secretsDir(dataDir), 'server-secrets.json');
}

export function loadOrCreateServerSecrets(dataDir: string): ServerSecrets {
  return readOrCreateSecretFile(
    serverSecretsFile(dataDir),
    () =>
      JSON.stringify(
        {
          couchAdmin: { username: 'attache-service', password: randomSecret(24) },
          serviceSecret: randomSecret(32),
        },
        null,
        2,
      ) + '\n',
    (text) => serverSecretsSchema.parse(JSON.parse(text)),
  );
}
