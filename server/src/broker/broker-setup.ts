// Builds the broker from the validated configuration: which issuer and keys it trusts (the
// development provider's in embedded mode, Entra ID's or any OpenID provider's otherwise), the
// token policy, the provider's list of revoked tokens where there is one, and the limits.
import type http from 'node:http';
import type { ServerConfig } from '../config/types.js';
import type { DeviceRegistry } from '../devices/types.js';
import type { UserDbs } from '../user-dbs/user-dbs.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Metrics } from '../observability/metrics.js';
import type { RefusalAggregator } from '../audit/refusal-aggregator.js';
import type { LocalIssuer } from './types.js';
import { createBrokerServer } from './broker-server.js';
import { createJwksKeyResolver, fetchTrusting } from './jwks.js';
import { createPreAuthGate } from './pre-auth-limit.js';
import { createRateLimiter } from './rate-limit.js';
import { createReturnsGate } from './returns-gate.js';
import { createRevocationList } from './revocation-list.js';
import { createTokenVerifier } from './token-verifier.js';

export type BrokerSetupDeps = {
  readonly userDbs: UserDbs;
  readonly couchUrl: string;
  readonly couchSocketPath: string | null;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  /** The embedded development provider, when it runs. */
  readonly idp: LocalIssuer | null;
  readonly devices: DeviceRegistry;
  readonly refusals: RefusalAggregator;
  /** The client address of a request (the trusted proxy's forwarded one behind a proxy). */
  readonly clientOf: (req: http.IncomingMessage) => string;
};

export function createBrokerFromConfig(config: ServerConfig, deps: BrokerSetupDeps): http.Server {
  // parseConfig guarantees an issuer when the development provider is off.
  const issuer = config.tokenIssuer || (deps.idp?.issuer ?? '');
  const usesDevIdp = deps.idp !== null && issuer === deps.idp.issuer;
  const jwksUrl = config.tokenJwksUrl || (usesDevIdp ? deps.idp?.jwksUrl : undefined);
  const jwks = createJwksKeyResolver({
    issuer,
    ...(jwksUrl ? { jwksUrl } : {}),
    ...(usesDevIdp && deps.idp ? { ca: deps.idp.caCertPem } : {}),
  });
  const revocationUrl = config.tokenRevocationUrl || (usesDevIdp ? deps.idp?.revokedTokensUrl : '');
  const revocations = revocationUrl
    ? createRevocationList({
        url: revocationUrl,
        fetch:
          usesDevIdp && deps.idp
            ? fetchTrusting(deps.idp.caCertPem)
            : (url, options) => fetch(url, options),
        pollIntervalMs: config.tokenRevocationPollSec * 1000,
      })
    : null;
  const policy = {
    issuer,
    audience: config.tokenAudience,
    algorithms: config.tokenAlgorithms,
    type: config.tokenType,
    clockToleranceSec: config.tokenClockToleranceSec,
    userClaim: config.tokenUserClaim,
    requiredScope: config.tokenRequiredScope,
  };

  const broker = createBrokerServer({
    verifier: createTokenVerifier({
      key: jwks,
      policy,
      ...(revocations ? { isRevoked: (jti: string) => revocations.isRevoked(jti) } : {}),
    }),
    userDbs: deps.userDbs,
    couchUrl: deps.couchUrl,
    couchSocketPath: deps.couchSocketPath,
    audit: deps.audit,
    metrics: deps.metrics,
    rateLimiter: createRateLimiter({
      burst: config.brokerRateBurst,
      perSecond: config.brokerRatePerSec,
    }),
    maxBodyBytes: config.brokerMaxBodyBytes,
    maxOpenPerUser: config.brokerMaxOpenPerUser,
    devices: deps.devices,
    returnsGate: createReturnsGate({
      maxPerHour: config.returnsMaxPerHour,
      maxPerRequest: config.returnsMaxPerRequest,
      audit: deps.audit,
      metrics: deps.metrics,
    }),
    preAuth: createPreAuthGate({
      clientOf: deps.clientOf,
      algorithms: config.tokenAlgorithms,
      failureBurst: config.brokerAuthFailureBurst,
      failuresPerMinute: config.brokerAuthFailuresPerMin,
    }),
    refusals: deps.refusals,
  });
  broker.on('close', () => revocations?.stop());
  return broker;
}
