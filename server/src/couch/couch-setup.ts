// Which CouchDB the server uses: Apache CouchDB 3.x named by the configuration (production), or
// the embedded CouchDB-protocol server (express-pouchdb) it starts itself, in a child process on a
// Unix socket of the data folder (embedded-couch-process.ts).
import type { ServerConfig } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import type { ServerSecrets } from '../config/server-secrets.js';
import { readSecretFromFile } from '../config/secret-files.js';
import { createCouchClient } from './couch-client.js';
import { EMBEDDED_COUCH_ORIGIN, startEmbeddedCouchProcess } from './embedded-couch-process.js';
import type { EmbeddedCouchProcess } from './embedded-couch-process.js';
import type { CouchClient, CouchCredentials, CouchEndpoint } from './types.js';
import {
  UserAuthKeyError,
  couchJwtIni,
  createBasicUserAuth,
  createJwtUserAuth,
  parseJwtSigningKey,
} from './user-auth.js';
import type { UserAuth } from './user-auth.js';

export type CouchSetup = {
  readonly endpoint: CouchEndpoint;
  readonly client: CouchClient;
  /** The embedded server's supervised process; null with Apache CouchDB. */
  readonly embedded: EmbeddedCouchProcess | null;
  /** The service identity: CouchDB server admin, named in every per-user `_security`. */
  readonly admin: CouchCredentials;
  stop(): Promise<void>;
};

export async function setUpCouch(
  config: ServerConfig,
  secrets: ServerSecrets,
): Promise<CouchSetup> {
  if (config.couchUrl === '') {
    const embedded = await startEmbeddedCouchProcess({
      dataDir: config.dataDir,
      admin: secrets.couchAdmin,
      logLevel: config.logLevel,
    });
    const endpoint = { url: EMBEDDED_COUCH_ORIGIN, socketPath: embedded.socketPath };
    const client = createCouchClient({ ...endpoint, credentials: secrets.couchAdmin });
    return {
      endpoint,
      client,
      embedded,
      admin: secrets.couchAdmin,
      async stop() {
        await client.close();
        await embedded.stop();
      },
    };
  }
  const admin = {
    username: config.couchUser,
    password: readSecretFromFile(
      'couchPasswordFile',
      'ATTACHE_COUCH_PASSWORD_FILE',
      config.couchPasswordFile,
    ),
  };
  const client = createCouchClient({ url: config.couchUrl, credentials: admin });
  const name = await client.authenticate(admin).catch((error: unknown) => {
    const problem = `couchUrl (ATTACHE_COUCH_URL): cannot reach ${config.couchUrl} (${error instanceof Error ? error.message : String(error)})`;
    throw new ConfigError(`CouchDB is unreachable:\n  - ${problem}`, [problem]);
  });
  if (name !== admin.username) {
    const problem = `couchUser (ATTACHE_COUCH_USER): CouchDB at ${config.couchUrl} refused ${JSON.stringify(admin.username)} with the password in couchPasswordFile`;
    throw new ConfigError(`Cannot sign in to CouchDB:\n  - ${problem}`, [problem]);
  }
  return {
    endpoint: { url: config.couchUrl.replace(/\/+$/, ''), socketPath: null },
    client,
    embedded: null,
    admin,
    stop: () => client.close(),
  };
}

/** A user name CouchDB is asked about at start to check that it takes the server's tokens. */
const TOKEN_CHECK_USER = 'attache-token-check';

/**
 * How the broker acts as each user (couch/user-auth.ts), checked against CouchDB at start: in
 * 'jwt' mode CouchDB must take a token of the configured key for its user, or the server stops
 * with the ini lines CouchDB needs.
 */
export async function setUpUserAuth(
  config: ServerConfig,
  client: CouchClient,
  serviceSecret: string,
): Promise<UserAuth> {
  if (config.couchUserAuth === 'basic') return createBasicUserAuth(serviceSecret);
  const where = 'couchJwtKeyFile (ATTACHE_COUCH_JWT_KEY_FILE)';
  let signingKey;
  try {
    signingKey = parseJwtSigningKey(
      readSecretFromFile('couchJwtKeyFile', 'ATTACHE_COUCH_JWT_KEY_FILE', config.couchJwtKeyFile),
    );
  } catch (error) {
    if (!(error instanceof UserAuthKeyError)) throw error;
    const problem = `${where}: ${JSON.stringify(config.couchJwtKeyFile)} holds ${error.message}; make one with: openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt`;
    throw new ConfigError(`Invalid server configuration:\n  - ${problem}`, [problem]);
  }
  const auth = createJwtUserAuth({ signingKey, keyId: config.couchJwtKeyId });
  const check = await client.sessionName(await auth.authorization(TOKEN_CHECK_USER));
  if (check.name !== TOKEN_CHECK_USER) {
    const answer = check.refusal ?? `it took the token for ${JSON.stringify(check.name)}`;
    const problem = `${where}: CouchDB at ${config.couchUrl} does not accept the users' tokens (${answer}). Add these lines to the ini of every CouchDB node and restart it (or set ATTACHE_COUCH_USER_AUTH=basic):\n\n${couchJwtIni(signingKey, config.couchJwtKeyId)}`;
    throw new ConfigError(`Cannot act as users in CouchDB:\n  - ${problem}`, [problem]);
  }
  return auth;
}
