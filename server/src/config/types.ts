// The validated server configuration. Every key is documented (with its default and environment
// variable) in one of ./keys-*.ts, assembled by ./config-schema.ts: the single source of truth.
import type { LogLevel } from '../observability/logger.js';
import type { Classification } from '../../../src/shared/briefing.js';

/** Asymmetric JWS algorithms a deployment may pin. HS* and `none` are never accepted. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** The JWT `typ` of OAuth access tokens (RFC 9068). Entra ID's v2 tokens say `JWT`. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export type ServerConfig = {
  readonly dataDir: string;
  readonly sorPort: number;
  readonly brokerHost: string;
  readonly opsHost: string;
  readonly brokerPort: number;
  readonly opsPort: number;
  /** Deprecated (no effect; see DEPRECATED_KEYS). */
  readonly couchPort?: number;
  readonly logLevel: LogLevel;
  readonly seedDemoData: boolean;
  readonly devIdp: boolean;
  readonly idpPort: number;
  readonly idpAccessTokenTtlSec: number;
  readonly idpRefreshTokenTtlSec: number;
  readonly tokenIssuer: string;
  readonly tokenAudience: string;
  readonly tokenJwksUrl: string;
  readonly tokenAlgorithms: readonly AsymmetricAlgorithm[];
  readonly tokenType: string;
  readonly tokenUserClaim: string;
  readonly tokenRequiredScope: string;
  readonly tokenClockToleranceSec: number;
  readonly brokerMaxBodyBytes: number;
  readonly brokerRateBurst: number;
  readonly brokerRatePerSec: number;
  readonly brokerMaxOpenPerUser: number;
  readonly brokerTrustedProxies: readonly string[];
  readonly brokerAuthFailureBurst: number;
  readonly brokerAuthFailuresPerMin: number;
  readonly auditRefusalWindowMs: number;
  readonly adminHostNames: readonly string[];
  readonly tokenRevocationUrl: string;
  readonly tokenRevocationPollSec: number;
  readonly pollIntervalMs: number;
  readonly pollBatchSize: number;
  readonly pollMaxBackoffMs: number;
  readonly fanoutConcurrency: number;
  readonly fanoutIdleMs: number;
  readonly queueVisibilityMs: number;
  readonly queueMaxAttempts: number;
  readonly queueRetryBaseMs: number;
  readonly queueRetryMaxMs: number;
  readonly couchUrl: string;
  readonly couchUser: string;
  readonly couchPasswordFile: string;
  /** Resolved at parse time: "jwt" with couchUrl unless set, "basic" with the embedded server. */
  readonly couchUserAuth: 'basic' | 'jwt';
  readonly couchJwtKeyFile: string;
  readonly couchJwtKeyId: string;
  readonly serviceSecretFile: string;
  readonly instanceId: string;
  readonly queue: 'sqlite' | 'rabbitmq';
  readonly rabbitmqUrl: string;
  readonly rabbitmqQueueType: 'quorum' | 'classic';
  readonly rabbitmqPrefix: string;
  readonly demoSor: boolean;
  readonly sorAdapter: 'demo' | 'rest';
  readonly sorRestUrl: string;
  readonly sorRestTokenFile: string;
  readonly sorTimeoutMs: number;
  readonly pollerEnabled: boolean;
  readonly leaseTtlMs: number;
  readonly fanoutEnabled: boolean;
  readonly fanoutBatchSize: number;
  /** The highest marking delivered to any device (ATTACHE_CLASSIFICATION_CEILING). */
  readonly classificationCeiling: Classification;
  readonly returnsEnabled: boolean;
  readonly returnsIntervalMs: number;
  readonly returnsSweepIntervalMs: number;
  readonly returnsMaxPerHour: number;
  readonly returnsMaxPerRequest: number;
  readonly returnsClockSkewSec: number;
  readonly compactionQuietMs: number;
  readonly compactionMaxDelayMs: number;
  readonly compactionMinIntervalMs: number;
};

/** Thrown at boot when configuration is invalid; the message names each bad key and its env var. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
