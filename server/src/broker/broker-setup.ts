// Builds the broker from the validated configuration: which issuer and keys it trusts (the
// development provider's in embedded mode, Entra ID's or any OpenID provider's otherwise), the
// token policy, the rate limiter, and the transitional development tokens.
import type http from 'node:http';
import type { JWTVerifyGetKey } from 'jose';
import type { ServerConfig } from '../config/types.js';
import type { UserDbs } from '../fanout/user-dbs.js';
import type { RunningDevIdp } from '../idp/dev-idp.js';
import type { AuditLog } from '../observability/audit-log.js';
import type { Metrics } from '../observability/metrics.js';
import { createBrokerServer } from './broker-server.js';
import { createDevTokenMinter, loadOrCreateDevSigningKey } from './dev-signing-key.js';
import { createJwksKeyResolver } from './jwks.js';
import { createRateLimiter } from './rate-limit.js';
import { createTokenVerifier } from './token-verifier.js';

export type BrokerSetupDeps = {
  readonly userDbs: UserDbs;
  readonly couchUrl: string;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  /** The embedded development provider, when it runs. */
  readonly idp: RunningDevIdp | null;
  /** For development tokens: users the demo SOR knows. */
  readonly isKnownUser: (id: string) => boolean;
};

export async function createBrokerFromConfig(
  config: ServerConfig,
  deps: BrokerSetupDeps,
): Promise<http.Server> {
  // parseConfig guarantees an issuer when the development provider is off.
  const issuer = config.tokenIssuer || (deps.idp?.issuer ?? '');
  const usesDevIdp = deps.idp !== null && issuer === deps.idp.issuer;
  const jwksUrl = config.tokenJwksUrl || (usesDevIdp ? deps.idp?.jwksUrl : undefined);
  const jwks = createJwksKeyResolver({
    issuer,
    ...(jwksUrl ? { jwksUrl } : {}),
    ...(usesDevIdp && deps.idp ? { ca: deps.idp.caCertPem } : {}),
  });
  const policy = {
    issuer,
    audience: config.tokenAudience,
    algorithms: config.tokenAlgorithms,
    type: config.tokenType,
    clockToleranceSec: config.tokenClockToleranceSec,
    userClaim: config.tokenUserClaim,
    requiredScope: config.tokenRequiredScope,
  };

  let key: JWTVerifyGetKey = jwks;
  let devTokens: Parameters<typeof createBrokerServer>[0]['devTokens'];
  if (config.devTokens) {
    // Transitional: tokens from POST /dev/token carry the development key's kid and pass the
    // same checks (issuer, audience, type, scope) as the provider's.
    const devKey = await loadOrCreateDevSigningKey(config.dataDir);
    key = (header, token) => (header.kid === devKey.kid ? devKey.publicKey : jwks(header, token));
    devTokens = {
      minter: createDevTokenMinter({
        key: devKey,
        issuer,
        audience: config.tokenAudience,
        scope: config.tokenRequiredScope,
      }),
      isKnownUser: deps.isKnownUser,
    };
  }

  return createBrokerServer({
    verifier: createTokenVerifier({ key, policy }),
    userDbs: deps.userDbs,
    couchUrl: deps.couchUrl,
    audit: deps.audit,
    metrics: deps.metrics,
    rateLimiter: createRateLimiter({
      burst: config.brokerRateBurst,
      perSecond: config.brokerRatePerSec,
    }),
    maxBodyBytes: config.brokerMaxBodyBytes,
    maxOpenPerUser: config.brokerMaxOpenPerUser,
    ...(devTokens ? { devTokens } : {}),
  });
}
