// Which CouchDB the server uses: Apache CouchDB 3.x named by the configuration (production), or
// the embedded CouchDB-protocol server (express-pouchdb) it starts itself.
import type { ServerConfig } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import type { ServerSecrets } from '../config/server-secrets.js';
import { readSecretFromFile } from '../pipeline/pipeline.js';
import { createCouchClient } from './couch-client.js';
import { startEmbeddedCouch } from './embedded-couch.pouch.js';
import type { CouchClient, CouchCredentials } from './types.js';

export type CouchSetup = {
  readonly url: string;
  readonly client: CouchClient;
  /** The service identity: CouchDB server admin, named in every per-user `_security`. */
  readonly admin: CouchCredentials;
  stop(): Promise<void>;
};

export async function setUpCouch(
  config: ServerConfig,
  secrets: ServerSecrets,
  host: string,
): Promise<CouchSetup> {
  if (config.couchUrl === '') {
    const embedded = await startEmbeddedCouch({
      dataDir: config.dataDir,
      host,
      port: config.couchPort,
      admin: secrets.couchAdmin,
    });
    return {
      url: embedded.url,
      client: createCouchClient({ url: embedded.url, credentials: secrets.couchAdmin }),
      admin: secrets.couchAdmin,
      stop: () => embedded.stop(),
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
  return { url: config.couchUrl.replace(/\/+$/, ''), client, admin, stop: () => Promise.resolve() };
}
