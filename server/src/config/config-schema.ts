// Configuration reference: each key with its doc, default and environment variable. Validated at
// boot; an invalid value stops the server with a message naming the key, never a guess.
import { isIP } from 'node:net';
import path from 'node:path';
import proxyAddr from 'proxy-addr';
import { CLASSIFICATIONS } from '../../../src/shared/briefing.js';
import { z } from 'zod';
import { DEFAULT_PORTS, DEV_IDP } from '../../../src/shared/protocol.js';
import { ACCESS_TOKEN_TYPE, ASYMMETRIC_ALGORITHMS } from './types.js';
import { LOG_LEVELS } from '../observability/logger.js';
import { ConfigError } from './types.js';
import type { ServerConfig } from './types.js';

type KeySpec = {
  readonly env: string;
  readonly doc: string;
  readonly schema: z.ZodType;
  /** The value may carry credentials (a URL with a password): never echoed in error messages. */
  readonly secret?: boolean;
};

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int({ error: 'expected a whole port number' })
  .min(0, { error: 'expected a port from 0 to 65535' })
  .max(65535, { error: 'expected a port from 0 to 65535' });
const positiveInt = z.coerce
  .number({ error: 'expected a number' })
  .int({ error: 'expected a whole number' })
  .positive({ error: 'expected a number above 0' });
const bool = z.union([z.boolean(), z.stringbool()], {
  error: 'expected true or false (also accepted: 1/0, yes/no, on/off)',
});
/** Empty means "not set"; otherwise a URL with one of `protocols` (e.g. ['http:', 'https:']). */
const optionalUrl = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (text) => {
        if (text === '') return true;
        try {
          return protocols.includes(new URL(text).protocol);
        } catch {
          return false;
        }
      },
      { error: `expected an ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL` },
    );

/** An IP address to listen on (no host names: what a name resolves to can change under us). */
const bindHost = z
  .string()
  .trim()
  .refine((text) => isIP(text) !== 0, {
    error: 'expected an IPv4 or IPv6 address, e.g. 127.0.0.1 or 0.0.0.0',
  })
  .default('127.0.0.1');

/** A comma-separated list (or, in code, an array); empty entries are dropped. */
const commaList = (check: (items: string[]) => boolean, error: string) =>
  z
    .union([z.string().transform((text) => text.split(',')), z.array(z.string())])
    .transform((items) => items.map((item) => item.trim()).filter(Boolean))
    .refine(check, { error });

export const CONFIG_KEYS = {
  dataDir: {
    env: 'ATTACHE_DATA_DIR',
    doc: 'Folder for all server state (CouchDB files, SQLite databases, generated secrets). Relative paths resolve against the working directory.',
    schema: z.string().min(1).default('.data/server'),
  },
  sorPort: {
    env: 'ATTACHE_SOR_PORT',
    doc: 'Loopback port of the demo SOR admin API. 0 picks a free port.',
    schema: port.default(DEFAULT_PORTS.sor),
  },
  brokerPort: {
    env: 'ATTACHE_BROKER_PORT',
    doc: "Port of the auth broker, the devices' only door (address: brokerHost).",
    schema: port.default(DEFAULT_PORTS.broker),
  },
  opsPort: {
    env: 'ATTACHE_OPS_PORT',
    doc: 'Port of /healthz and /metrics (address: opsHost).',
    schema: port.default(DEFAULT_PORTS.ops),
  },
  brokerHost: {
    env: 'ATTACHE_BROKER_HOST',
    doc: 'Address the auth broker listens on. Loopback by default; behind a load balancer, the interface the balancer reaches (e.g. 0.0.0.0). The embedded CouchDB, demo SOR and development provider always stay on loopback.',
    schema: bindHost,
  },
  opsHost: {
    env: 'ATTACHE_OPS_HOST',
    doc: 'Address /healthz, /metrics and the dead-letter API listen on. Loopback by default; the monitoring network in production.',
    schema: bindHost,
  },
  couchPort: {
    env: 'ATTACHE_COUCH_PORT',
    doc: 'Deprecated, no effect: the embedded CouchDB-protocol server opens no TCP port (it listens on a Unix socket in dataDir/couch/run, reachable by the server only). A value set is ignored with a warning at start.',
    schema: port.optional(),
  },
  logLevel: {
    env: 'ATTACHE_LOG_LEVEL',
    doc: 'pino log level.',
    schema: z.enum(LOG_LEVELS).default('info'),
  },
  seedDemoData: {
    env: 'ATTACHE_SEED_DEMO',
    doc: 'Seed the demo SOR with sample briefings for the sample user when its store is new.',
    schema: bool.default(true),
  },
  devIdp: {
    env: 'ATTACHE_DEV_IDP',
    doc: 'Run the development OpenID provider (https on idpPort, local CA in dataDir/secrets). Off in production, where Entra ID issues the tokens.',
    schema: bool.default(true),
  },
  idpPort: {
    env: 'ATTACHE_IDP_PORT',
    doc: 'Loopback port of the development OpenID provider (its issuer is https://127.0.0.1:<port>).',
    schema: port.default(DEFAULT_PORTS.idp),
  },
  idpAccessTokenTtlSec: {
    env: 'ATTACHE_IDP_ACCESS_TOKEN_TTL_SEC',
    doc: 'Lifetime of access tokens from the development provider. At least 600: msal-node renews 300 s before expiry.',
    schema: positiveInt
      .min(600, { error: 'expected at least 600 seconds' })
      .max(86_400, { error: 'expected at most 86400 seconds' })
      .default(900),
  },
  idpRefreshTokenTtlSec: {
    env: 'ATTACHE_IDP_REFRESH_TOKEN_TTL_SEC',
    doc: 'Lifetime of refresh tokens (and sign-in sessions) of the development provider.',
    schema: positiveInt.min(3600, { error: 'expected at least 3600 seconds' }).default(14 * 86_400),
  },
  tokenIssuer: {
    env: 'ATTACHE_TOKEN_ISSUER',
    doc: "Required `iss` of access tokens the broker accepts (Entra ID: https://login.microsoftonline.com/<tenant>/v2.0). Empty: the development provider's issuer.",
    schema: optionalUrl(['https:']).default(''),
  },
  tokenAudience: {
    env: 'ATTACHE_TOKEN_AUDIENCE',
    doc: "Required `aud` of access tokens the broker accepts (Entra ID v2 tokens: the broker API's application (client) id).",
    schema: z.string().trim().min(1).default(DEV_IDP.brokerAudience),
  },
  tokenJwksUrl: {
    env: 'ATTACHE_TOKEN_JWKS_URL',
    doc: "URL of the identity provider's signing keys (JWKS). Empty: the jwks_uri of the issuer's OpenID discovery document.",
    schema: optionalUrl(['https:']).default(''),
  },
  tokenAlgorithms: {
    env: 'ATTACHE_TOKEN_ALGORITHMS',
    doc: 'Comma-separated JWS algorithms the broker accepts (asymmetric only; Entra ID signs RS256, the development provider ES256).',
    schema: z
      .string()
      .transform((text) =>
        text
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(
            z.enum(ASYMMETRIC_ALGORITHMS, {
              error: `expected some of ${ASYMMETRIC_ALGORITHMS.join(', ')}`,
            }),
          )
          .min(1, { error: 'expected at least one algorithm' }),
      )
      .default(['ES256', 'RS256']),
  },
  tokenType: {
    env: 'ATTACHE_TOKEN_TYPE',
    doc: 'Required JWT header `typ` of access tokens: "at+jwt" (RFC 9068; the development provider). Entra ID v2 access tokens say "JWT".',
    schema: z.string().trim().min(1).default(ACCESS_TOKEN_TYPE),
  },
  tokenUserClaim: {
    env: 'ATTACHE_TOKEN_USER_CLAIM',
    doc: 'Token claim holding the user id the SOR uses as recipient: "sub" by default; with Entra ID often "oid" or "preferred_username".',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,100}$/, { error: 'expected a claim name' })
      .default('sub'),
  },
  tokenRequiredScope: {
    env: 'ATTACHE_TOKEN_REQUIRED_SCOPE',
    doc: 'Scope an access token must carry (in `scp` or `scope`, short or prefixed with the audience). Empty: not checked.',
    schema: z.string().trim().default(DEV_IDP.syncScope),
  },
  tokenClockToleranceSec: {
    env: 'ATTACHE_TOKEN_CLOCK_TOLERANCE_SEC',
    doc: 'Clock skew allowed when checking token `exp`/`nbf`, in seconds.',
    schema: z.coerce.number().int().min(0).max(300).default(30),
  },
  brokerMaxBodyBytes: {
    env: 'ATTACHE_BROKER_MAX_BODY_BYTES',
    doc: 'Largest request body the broker accepts (413 above it).',
    schema: positiveInt.default(4 * 1024 * 1024),
  },
  brokerRateBurst: {
    env: 'ATTACHE_BROKER_RATE_BURST',
    doc: 'Requests one user may make at once through the broker (token bucket size, per broker instance).',
    schema: positiveInt.default(300),
  },
  brokerRatePerSec: {
    env: 'ATTACHE_BROKER_RATE_PER_SEC',
    doc: "Sustained requests per second per user through the broker (the bucket's refill rate); 429 with Retry-After above it.",
    schema: positiveInt.default(50),
  },
  brokerMaxOpenPerUser: {
    env: 'ATTACHE_BROKER_MAX_OPEN_PER_USER',
    doc: 'Requests one user may have open at once through the broker (live _changes feeds stay open); 429 above it.',
    schema: positiveInt.default(32),
  },
  brokerTrustedProxies: {
    env: 'ATTACHE_BROKER_TRUSTED_PROXIES',
    doc: 'Comma-separated addresses or CIDR ranges of the load balancers in front of the broker (also: loopback, linklocal, uniquelocal). Only from these is X-Forwarded-For believed for the client address (address limit, audit trail). Empty: the connecting address is the client.',
    schema: commaList((items) => {
      try {
        proxyAddr.compile(items);
        return true;
      } catch {
        return false;
      }
    }, 'expected IP addresses or CIDR ranges (e.g. 10.0.0.0/8), comma-separated').default([]),
  },
  brokerAuthFailureBurst: {
    env: 'ATTACHE_BROKER_AUTH_FAILURE_BURST',
    doc: 'Failed authentications (no, malformed or invalid token) one client address (IPv6: one /64) may have in a row before the broker answers it 429 without looking at its tokens.',
    schema: positiveInt.default(30),
  },
  brokerAuthFailuresPerMin: {
    env: 'ATTACHE_BROKER_AUTH_FAILURES_PER_MIN',
    doc: 'Failed authentications per minute a client address regains (the refill of brokerAuthFailureBurst).',
    schema: positiveInt.default(60),
  },
  auditRefusalWindowMs: {
    env: 'ATTACHE_AUDIT_REFUSAL_WINDOW_MS',
    doc: "Refusals anyone can repeat at will (no or a bad token, a scan of the admin ports, what Node's HTTP parser refuses) are recorded five per kind (client address, status, reason) per window; the window's others become one record with their count when it ends.",
    schema: positiveInt.min(1000, { error: 'expected at least 1000 ms' }).default(60_000),
  },
  adminHostNames: {
    env: 'ATTACHE_ADMIN_HOST_NAMES',
    doc: 'Comma-separated host names under which the ops endpoints and the demo SOR admin API may be addressed, besides IP addresses and localhost (e.g. the name Prometheus uses). A request naming another host is refused (403): DNS rebinding.',
    schema: commaList(
      (items) =>
        items.every((item) =>
          /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(item),
        ),
      'expected host names (letters, digits, hyphens, dots), comma-separated',
    ).default([]),
  },
  tokenRevocationUrl: {
    env: 'ATTACHE_TOKEN_REVOCATION_URL',
    doc: "URL of the identity provider's list of revoked access-token ids, polled by the broker. Empty: the development provider's list when it is the issuer; none otherwise (Entra ID publishes none: access-token lifetimes bound revocation there).",
    schema: optionalUrl(['https:']).default(''),
  },
  tokenRevocationPollSec: {
    env: 'ATTACHE_TOKEN_REVOCATION_POLL_SEC',
    doc: 'How often the broker fetches the revoked-token list: a revoked sign-in stops working at the broker within this many seconds.',
    schema: positiveInt.max(3600, { error: 'expected at most 3600 seconds' }).default(5),
  },
  pollIntervalMs: {
    env: 'ATTACHE_POLL_INTERVAL_MS',
    doc: 'How often the poller asks the SOR for share/unshare changes.',
    schema: positiveInt.default(1000),
  },
  pollBatchSize: {
    env: 'ATTACHE_POLL_BATCH_SIZE',
    doc: 'Most changes read from the SOR per poll.',
    schema: positiveInt.max(10_000).default(500),
  },
  pollMaxBackoffMs: {
    env: 'ATTACHE_POLL_MAX_BACKOFF_MS',
    doc: 'Longest wait between polls while the SOR keeps failing.',
    schema: positiveInt.default(30_000),
  },
  fanoutConcurrency: {
    env: 'ATTACHE_FANOUT_CONCURRENCY',
    doc: 'Events one fan-out worker processes at once.',
    schema: positiveInt.max(256).default(4),
  },
  fanoutIdleMs: {
    env: 'ATTACHE_FANOUT_IDLE_MS',
    doc: 'How long the fan-out waits before claiming again when the queue is empty.',
    schema: positiveInt.default(200),
  },
  queueVisibilityMs: {
    env: 'ATTACHE_QUEUE_VISIBILITY_MS',
    doc: 'Lease (visibility) timeout: a claimed event not acked within it is redelivered.',
    schema: positiveInt.default(60_000),
  },
  queueMaxAttempts: {
    env: 'ATTACHE_QUEUE_MAX_ATTEMPTS',
    doc: 'Deliveries of one event before it is dead-lettered.',
    schema: positiveInt.max(100).default(8),
  },
  queueRetryBaseMs: {
    env: 'ATTACHE_QUEUE_RETRY_BASE_MS',
    doc: 'First retry delay; doubles with each attempt.',
    schema: positiveInt.default(500),
  },
  queueRetryMaxMs: {
    env: 'ATTACHE_QUEUE_RETRY_MAX_MS',
    doc: 'Cap of the retry delay.',
    schema: positiveInt.default(60_000),
  },
  couchUrl: {
    env: 'ATTACHE_COUCH_URL',
    doc: 'Apache CouchDB 3.x to use (e.g. https://couch.internal:6984). Empty: run the embedded CouchDB-protocol server (one machine: development, demonstration, small single-host installs).',
    schema: optionalUrl(['http:', 'https:']).default(''),
  },
  couchUser: {
    env: 'ATTACHE_COUCH_USER',
    doc: 'With couchUrl: the CouchDB server admin the pipeline acts as (creates per-user databases with q=1, their accounts and _security).',
    schema: z.string().trim().default(''),
  },
  couchPasswordFile: {
    env: 'ATTACHE_COUCH_PASSWORD_FILE',
    doc: "With couchUrl: file holding couchUser's password (read at start).",
    schema: z.string().trim().default(''),
  },
  couchUserAuth: {
    env: 'ATTACHE_COUCH_USER_AUTH',
    doc: 'How the broker acts as each user towards CouchDB. "jwt" (Apache CouchDB; the production mode): a short-lived ES256 token per user, which CouchDB checks against the public half of couchJwtKeyFile; no per-user accounts, no password hashing. "basic": an account per user in _users, its password derived from the service secret (the embedded server\'s only mode). Unset: "jwt" with couchUrl, "basic" otherwise.',
    schema: z.enum(['basic', 'jwt']).optional(),
  },
  couchJwtKeyFile: {
    env: 'ATTACHE_COUCH_JWT_KEY_FILE',
    doc: 'With couchUserAuth=jwt: PEM file of the EC P-256 private key the users\' tokens are signed with (the same on every instance). CouchDB holds its public key in [jwt_keys] (docs/operations.md, "CouchDB"; a refused key stops the server with the lines to add).',
    schema: z.string().trim().default(''),
  },
  couchJwtKeyId: {
    env: 'ATTACHE_COUCH_JWT_KEY_ID',
    doc: "With couchUserAuth=jwt: the tokens' key id; CouchDB looks the public key up as [jwt_keys] ec:<id>. A new id with a new key rotates keys without a stop.",
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected 1-64 of A-Z a-z 0-9 _ . -' })
      .default('attache'),
  },
  serviceSecretFile: {
    env: 'ATTACHE_SERVICE_SECRET_FILE',
    doc: "File holding the secret from which users' CouchDB passwords are derived (32+ characters). Every instance must use the same one. Empty: generated in dataDir/secrets.",
    schema: z.string().trim().default(''),
  },
  instanceId: {
    env: 'ATTACHE_INSTANCE_ID',
    doc: 'Name of this instance in leases and the audit trail; unique per running process. Empty: host name plus a hash of dataDir (stable across restarts).',
    schema: z.string().trim().max(200).default(''),
  },
  queue: {
    env: 'ATTACHE_QUEUE',
    doc: 'Queue between poller and fan-out: "sqlite" (embedded, in dataDir) or "rabbitmq".',
    schema: z.enum(['sqlite', 'rabbitmq']).default('sqlite'),
  },
  rabbitmqUrl: {
    env: 'ATTACHE_RABBITMQ_URL',
    doc: 'With queue=rabbitmq: amqp:// or amqps:// URL, credentials included (never logged).',
    schema: optionalUrl(['amqp:', 'amqps:']).default(''),
    secret: true,
  },
  rabbitmqQueueType: {
    env: 'ATTACHE_RABBITMQ_QUEUE_TYPE',
    doc: '"quorum" (replicated; production) or "classic" (durable, single node).',
    schema: z.enum(['quorum', 'classic']).default('quorum'),
  },
  rabbitmqPrefix: {
    env: 'ATTACHE_RABBITMQ_PREFIX',
    doc: 'Prefix of the queue and exchange names (<prefix>.fanout, <prefix>.fanout.dead, <prefix>.fanout.retry.<ms>).',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,100}$/, { error: 'expected 1-100 of A-Z a-z 0-9 _ . -' })
      .default('attache'),
  },
  demoSor: {
    env: 'ATTACHE_DEMO_SOR',
    doc: 'Run the embedded demo SOR (admin API and SOR contract API on sorPort).',
    schema: bool.default(true),
  },
  sorAdapter: {
    env: 'ATTACHE_SOR_ADAPTER',
    doc: '"demo": the embedded demo SOR, in process. "rest": any SOR behind the REST contract (server/openapi/sor-adapter.yaml).',
    schema: z.enum(['demo', 'rest']).default('demo'),
  },
  sorRestUrl: {
    env: 'ATTACHE_SOR_REST_URL',
    doc: "With sorAdapter=rest: base URL of the SOR contract API (…/sor/v1). Empty: the embedded demo SOR's.",
    schema: optionalUrl(['http:', 'https:']).default(''),
  },
  sorRestTokenFile: {
    env: 'ATTACHE_SOR_REST_TOKEN_FILE',
    doc: "With sorAdapter=rest: file holding the bearer token for the SOR contract API. Empty: the demo SOR's admin token.",
    schema: z.string().trim().default(''),
  },
  sorTimeoutMs: {
    env: 'ATTACHE_SOR_TIMEOUT_MS',
    doc: 'Timeout of one request to the SOR contract API.',
    schema: positiveInt.default(30_000),
  },
  pollerEnabled: {
    env: 'ATTACHE_POLLER',
    doc: 'Run a poller on this instance. Several may run: only the holder of the lease polls.',
    schema: bool.default(true),
  },
  leaseTtlMs: {
    env: 'ATTACHE_LEASE_TTL_MS',
    doc: 'Lease time of the poller and the returns integrator: another instance takes over after this long without renewal (renewed every third of it).',
    schema: positiveInt.min(1000, { error: 'expected at least 1000 ms' }).default(15_000),
  },
  fanoutEnabled: {
    env: 'ATTACHE_FANOUT',
    doc: 'Run a fan-out worker on this instance (any number may run on one queue).',
    schema: bool.default(true),
  },
  fanoutBatchSize: {
    env: 'ATTACHE_FANOUT_BATCH_SIZE',
    doc: 'Events a fan-out worker claims at once; writes to one user database are grouped into one _bulk_docs.',
    schema: positiveInt.max(5_000).default(200),
  },
  classificationCeiling: {
    env: 'ATTACHE_CLASSIFICATION_CEILING',
    doc: 'The highest marking the fan-out delivers to any device (organisation-wide). A briefing marked above it is not published (and removed where an earlier version was), the audit trail records it for each recipient (fanout.withheld), and the SOR is told why (POST /delivery-notices).',
    schema: z.enum(CLASSIFICATIONS).default('TOP SECRET'),
  },
  returnsEnabled: {
    env: 'ATTACHE_RETURNS',
    doc: "Run the returns integrator (users' returns databases to the SOR) on this instance; only the lease holder works.",
    schema: bool.default(true),
  },
  returnsIntervalMs: {
    env: 'ATTACHE_RETURNS_INTERVAL_MS',
    doc: "How often the returns integrator reads the users' returns databases.",
    schema: positiveInt.default(2_000),
  },
  returnsMaxPerHour: {
    env: 'ATTACHE_RETURNS_MAX_PER_HOUR',
    doc: "Returns (read receipts, notes) one user may send through the broker per hour: a bucket this size, refilled at this rate, so a long flight's backlog goes at once; 429 with Retry-After above it (the device sends the rest later). Per broker instance.",
    schema: positiveInt.default(5_000),
  },
  returnsMaxPerRequest: {
    env: 'ATTACHE_RETURNS_MAX_PER_REQUEST',
    doc: 'Returns one request may carry (a device sends 50 at a time); 413 above it.',
    schema: positiveInt.default(500),
  },
  returnsClockSkewSec: {
    env: 'ATTACHE_RETURNS_CLOCK_SKEW_SEC',
    doc: "How far a device's clock may be off: a return's own time counts as when it was written if it lies within a share of its briefing with its author, widened by this much, and not later than this after it reached the server.",
    schema: z.coerce.number().int().min(0).max(86_400).default(300),
  },
  compactionQuietMs: {
    env: 'ATTACHE_COMPACTION_QUIET_MS',
    doc: "After an unshare, how long a user's briefings database must see no further unshare before it is compacted (several unshares in a row make one compaction).",
    schema: z.coerce.number().int().min(0).default(30_000),
  },
  compactionMaxDelayMs: {
    env: 'ATTACHE_COMPACTION_MAX_DELAY_MS',
    doc: "The longest an unshared briefing stays on the server's disk while unshares keep coming: compacted this long after the first unshare at the latest (plus the wait for its turn).",
    schema: positiveInt.default(300_000),
  },
  compactionMinIntervalMs: {
    env: 'ATTACHE_COMPACTION_MIN_INTERVAL_MS',
    doc: 'Least time between the starts of two compactions, over all users (one runs at a time), so a mass unshare does not swamp CouchDB.',
    schema: z.coerce.number().int().min(0).default(2_000),
  },
} as const satisfies Record<keyof ServerConfig, KeySpec>;

type ConfigKey = keyof typeof CONFIG_KEYS;

/** Keys kept so old settings still parse, with what the server logs when one is set. */
export const DEPRECATED_KEYS: Partial<Record<ConfigKey, string>> = {
  couchPort:
    'couchPort (ATTACHE_COUCH_PORT) no longer has any effect: the embedded CouchDB-protocol server listens on a Unix socket in <dataDir>/couch/run and opens no TCP port. Remove the setting.',
};

const configSchema = z
  .object(
    Object.fromEntries(Object.entries(CONFIG_KEYS).map(([key, spec]) => [key, spec.schema])) as {
      [K in ConfigKey]: (typeof CONFIG_KEYS)[K]['schema'];
    },
  )
  .strict()
  .refine((c) => c.devIdp || c.tokenIssuer !== '', {
    message: 'is required when the development OpenID provider is off (devIdp=false)',
    path: ['tokenIssuer'],
  })
  .refine((c) => c.returnsMaxPerRequest <= c.returnsMaxPerHour, {
    message: 'must not exceed returnsMaxPerHour',
    path: ['returnsMaxPerRequest'],
  })
  .refine((c) => c.compactionQuietMs <= c.compactionMaxDelayMs, {
    message: 'must not exceed compactionMaxDelayMs',
    path: ['compactionQuietMs'],
  })
  .refine((c) => c.queueRetryBaseMs <= c.queueRetryMaxMs, {
    message: 'must not exceed queueRetryMaxMs',
    path: ['queueRetryBaseMs'],
  })
  .refine((c) => c.queue !== 'rabbitmq' || c.rabbitmqUrl !== '', {
    message: 'is required when queue is "rabbitmq"',
    path: ['rabbitmqUrl'],
  })
  .refine((c) => c.couchUrl === '' || c.couchUser !== '', {
    message: 'is required when couchUrl is set',
    path: ['couchUser'],
  })
  .refine((c) => c.couchUrl === '' || c.couchPasswordFile !== '', {
    message: 'is required when couchUrl is set',
    path: ['couchPasswordFile'],
  })
  .refine((c) => c.couchUserAuth !== 'jwt' || c.couchUrl !== '', {
    message:
      'is "jwt", which needs Apache CouchDB (couchUrl): the embedded server checks Basic credentials only',
    path: ['couchUserAuth'],
  })
  .refine(
    (c) =>
      (c.couchUserAuth ?? (c.couchUrl === '' ? 'basic' : 'jwt')) !== 'jwt' ||
      c.couchJwtKeyFile !== '',
    {
      message:
        'is required when couchUserAuth is "jwt" (the default with couchUrl): see docs/operations.md, "CouchDB"; or set couchUserAuth=basic',
      path: ['couchJwtKeyFile'],
    },
  )
  .refine((c) => c.sorAdapter !== 'demo' || c.demoSor, {
    message: 'is "demo", which needs demoSor=true (or use sorAdapter=rest with sorRestUrl)',
    path: ['sorAdapter'],
  })
  .refine((c) => c.sorAdapter !== 'rest' || c.sorRestUrl !== '' || c.demoSor, {
    message: 'is required when sorAdapter is "rest" and the demo SOR is off',
    path: ['sorRestUrl'],
  })
  .refine((c) => c.sorRestUrl === '' || c.sorRestTokenFile !== '' || c.demoSor, {
    message: 'is required when sorRestUrl names an external SOR',
    path: ['sorRestTokenFile'],
  });

function describeKey(key: string): string {
  const spec = (CONFIG_KEYS as Record<string, KeySpec | undefined>)[key];
  return spec ? `${key} (${spec.env})` : key;
}

/**
 * Validates a configuration object; missing keys take their defaults. `cwd` anchors a relative
 * dataDir so that the result never depends on where a later call runs.
 */
export function parseConfig(input: Record<string, unknown>, cwd = process.cwd()): ServerConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.length > 0 ? String(issue.path[0]) : '(config)';
      if (issue.code === 'unrecognized_keys') {
        return `unknown configuration keys: ${issue.keys.join(', ')}`;
      }
      const spec = (CONFIG_KEYS as Record<string, KeySpec | undefined>)[key];
      const got =
        key in input ? ` (got ${spec?.secret ? '[redacted]' : JSON.stringify(input[key])})` : '';
      return `${describeKey(key)}: ${issue.message}${got}`;
    });
    throw new ConfigError(
      `Invalid server configuration:\n  - ${problems.join('\n  - ')}`,
      problems,
    );
  }
  const config = result.data as Omit<ServerConfig, 'couchUserAuth'> & {
    couchUserAuth?: ServerConfig['couchUserAuth'];
  };
  return {
    ...config,
    couchUserAuth: config.couchUserAuth ?? (config.couchUrl === '' ? 'basic' : 'jwt'),
    dataDir: path.resolve(cwd, config.dataDir),
  };
}

/** Reads every documented key from its environment variable (unset or empty means default). */
export function loadConfigFromEnv(env: NodeJS.ProcessEnv, cwd = process.cwd()): ServerConfig {
  const input: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    const value = env[spec.env];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  return parseConfig(input, cwd);
}

/** The configuration reference as Markdown table rows (server/README.md embeds them; a test keeps them in step). */
export function describeConfig(): string {
  return Object.entries(CONFIG_KEYS)
    .map(([key, spec]) => {
      const parsed = spec.schema.safeParse(undefined);
      const def = !parsed.success
        ? '(required)'
        : parsed.data === undefined
          ? '(unset)'
          : JSON.stringify(parsed.data);
      return `| \`${spec.env}\` | \`${key}\` | ${def} | ${spec.doc} |`;
    })
    .join('\n');
}
