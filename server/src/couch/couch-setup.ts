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
