// The development OpenID provider of the embedded product (oidc-provider), standing in for
// Microsoft Entra ID with the same shape: one public native client (the reader: authorization
// code + PKCE, loopback redirect, refresh tokens) and one API (the broker) whose JWT access
// tokens carry its audience and the sync scope. Served over https with the development CA
// (msal-node refuses http authorities), on loopback only. Signing keys, TLS material and the
// provider's state (sessions, grants, refresh tokens) persist in the data folder, so a restart
// signs nobody out.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import Provider, { errors } from 'oidc-provider';
import type Koa from 'koa';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { DEV_IDP } from '../../../../src/shared/protocol.js';
import { closeServer, listen, sendJson } from '../../http/json-http.js';
import type { ParserRefusal } from '../../http/parser-refusals.js';
import { reportParserRefusals } from '../../http/parser-refusals.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { createLogger, describeError } from '../../observability/logger.js';
import { createSqliteAdapterStore } from './adapter.sqlite.js';
import { loadOrCreateDevTls } from './dev-ca.js';
import { findDevAccount } from './dev-users.js';
import { INTERACTION_PREFIX, createInteractionHandler } from './interactions.oidc.js';
import { renderMessagePage } from './login-page.js';
import type { RevokedTokenStore } from './revoked-tokens.sqlite.js';
import { createRevokedTokenStore } from './revoked-tokens.sqlite.js';
import { IDP_SIGNING_ALGORITHM, loadOrCreateIdpKeys } from './signing-keys.js';

const log = createLogger('idp');

/** Scope values of the broker API the reader may ask for: Entra's full form and the short one. */
export const BROKER_SCOPES = [
  `${DEV_IDP.brokerAudience}/${DEV_IDP.syncScope}`,
  DEV_IDP.syncScope,
] as const;

const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/**
 * The list of revoked access tokens the broker polls (GET, JSON: `{"revoked": [{"jti", "exp"}]}`).
 * Public like a certificate revocation list: it names only ids of tokens that no longer work.
 */
export const REVOKED_TOKENS_PATH = '/revoked-tokens';
/**
 * A revoked token stays on the list this long past its `exp`: the longest clock skew a broker
 * may be configured to allow (ATTACHE_TOKEN_CLOCK_TOLERANCE_SEC), so no broker still accepts it.
 */
const REVOKED_LISTED_PAST_EXP_SEC = 300;

export type DevIdpOptions = {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly accessTokenTtlSec: number;
  readonly refreshTokenTtlSec: number;
  readonly audit: AuditLog;
  /** Told of each request Node's HTTP parser refused (audited by the caller). */
  readonly onParserRefusal?: (refusal: ParserRefusal) => void;
};

export type RunningDevIdp = {
  /** The issuer (`iss`): `https://127.0.0.1:<port>`, no trailing slash. msal's authority adds one. */
  readonly issuer: string;
  readonly jwksUrl: string;
  /** Where the broker finds the ids of revoked access tokens (REVOKED_TOKENS_PATH). */
  readonly revokedTokensUrl: string;
  /** PEM file of the development CA that devices and the broker must trust. */
  readonly caFile: string;
  readonly caCertPem: string;
  stop(): Promise<void>;
};

function providerConfiguration(
  options: DevIdpOptions,
  keys: ReturnType<typeof loadOrCreateIdpKeys>,
  adapter: Configuration['adapter'],
): Configuration {
  const { accessTokenTtlSec, refreshTokenTtlSec } = options;
  return {
    adapter,
    clients: [
      {
        client_id: DEV_IDP.readerClientId,
        client_name: 'Attaché',
        // native + http://localhost: any loopback port matches (RFC 8252 §7.3), as msal-node's
        // listener picks a random one.
        application_type: 'native',
        redirect_uris: ['http://localhost'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        id_token_signed_response_alg: IDP_SIGNING_ALGORITHM,
      },
    ],
    jwks: { keys: keys.keys },
    cookies: {
      keys: keys.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
    },
    // msal-node builds its account from the ID token: it must carry name and preferred_username
    // even though the code flow could fetch them from userinfo.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // msal sends no `resource`: every access token is for the broker.
        defaultResource: () => DEV_IDP.brokerAudience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== DEV_IDP.brokerAudience) throw new errors.InvalidTarget();
          return {
            scope: BROKER_SCOPES.join(' '),
            audience: DEV_IDP.brokerAudience,
            accessTokenTTL: accessTokenTtlSec,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: IDP_SIGNING_ALGORITHM } },
          };
        },
      },
    },
    findAccount(_ctx, sub) {
      const account = findDevAccount(sub);
      if (!account) return undefined;
      return {
        accountId: account.id,
        claims: () => ({ sub: account.id, name: account.name, preferred_username: account.id }),
      };
    },
    // Like Entra ID, access tokens name the user, so a broker may map users by another claim.
    extraTokenClaims(_ctx, token) {
      const account = 'accountId' in token ? findDevAccount(token.accountId) : null;
      return account ? { name: account.name, preferred_username: account.id } : undefined;
    },
    ttl: {
      // The resource server's TTL applies; a fixed number here would override it.
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? accessTokenTtlSec,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 15 * 60,
      Session: refreshTokenTtlSec,
      Grant: refreshTokenTtlSec,
      RefreshToken: refreshTokenTtlSec,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
    },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PREFIX}${interaction.uid}` },
    clientBasedCORS: () => false,
    renderError(ctx, out) {
      const page = renderMessagePage(
        'Sign-in error',
        typeof out['error_description'] === 'string'
          ? out['error_description']
          : 'The sign-in request is invalid.',
      );
      ctx.type = 'html';
      for (const [name, value] of Object.entries(page.headers)) ctx.set(name, value);
      ctx.body = page.html;
    },
  };
}

/**
 * msal asks for `offline_access` on every sign-in without `prompt=consent`, and oidc-provider
 * (per OpenID Connect Core §11) drops that scope unless consent is prompted for: no refresh token
 * then, or one lacking the scope msal asks for when it renews. For the first-party reader, this
 * provider always obtains consent (automatically, see interactions.ts), so it adds `consent` to
 * the request's prompt. Any other prompt value is kept; `prompt=none` is left alone.
 */
function consentToOfflineAccess(firstParty: ReadonlySet<string>) {
  return async (ctx: Koa.Context, next: Koa.Next) => {
    if (ctx.method === 'GET' && ctx.path === '/auth') {
      const query = new URLSearchParams(ctx.querystring);
      const prompts = new Set((query.get('prompt') ?? '').split(' ').filter(Boolean));
      const scopes = (query.get('scope') ?? '').split(' ');
      if (
        firstParty.has(query.get('client_id') ?? '') &&
        scopes.includes('offline_access') &&
        !prompts.has('none')
      ) {
        prompts.add('consent');
        query.set('prompt', [...prompts].join(' '));
        ctx.querystring = query.toString();
      }
    }
    await next();
  };
}

const stringParam = (value: unknown): string => (typeof value === 'string' ? value : '');

function auditTokenEvents(provider: Provider, audit: AuditLog): void {
  const entry = (ctx: KoaContextWithOIDC) => ({
    client: ctx.oidc.client?.clientId ?? null,
    grantType: stringParam(ctx.oidc.params?.['grant_type']),
  });
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    audit.record({
      action: 'idp.token',
      user: ctx.oidc.account?.accountId ?? null,
      decision: 'allowed',
      reason: 'tokens issued',
      ...entry(ctx),
    });
  });
  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: Error) => {
    audit.record({
      action: 'idp.token',
      user: null,
      decision: 'refused',
      reason: `${error.message}${'error_description' in error ? `: ${String(error.error_description)}` : ''}`,
      ...entry(ctx),
    });
  });
  provider.on('server_error', (_ctx: unknown, error: Error) => {
    log.error({ err: describeError(error) }, 'provider error');
  });
}

/**
 * Remembers which grant each access token came from, and revokes a grant's tokens with it: a
 * replayed authorization code or refresh token, a revoked refresh token and a logout all revoke
 * the grant (oidc-provider's `grant.revoked`), and the broker learns of it from the list.
 */
function trackRevocations(
  provider: Provider,
  revoked: RevokedTokenStore,
  audit: AuditLog,
  accessTokenTtlSec: number,
): void {
  provider.on('access_token.issued', (token: InstanceType<Provider['AccessToken']>) => {
    if (!token.jti || !token.grantId) return;
    const exp =
      typeof token.exp === 'number'
        ? token.exp
        : Math.floor(Date.now() / 1000) + (token.expiration || accessTokenTtlSec);
    revoked.issued(
      token.jti,
      token.grantId,
      token.accountId ?? null,
      exp + REVOKED_LISTED_PAST_EXP_SEC,
    );
  });
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    const { tokens, user } = revoked.revokeGrant(grantId);
    audit.record({
      action: 'idp.grant-revoked',
      user: ctx.oidc.account?.accountId ?? user,
      reason: `sign-in revoked at the provider (${ctx.oidc.route ?? 'unknown route'}); ${tokens} unexpired access token${tokens === 1 ? '' : 's'} listed as revoked`,
      client: ctx.oidc.client?.clientId ?? null,
    });
  });
}

export async function startDevIdp(options: DevIdpOptions): Promise<RunningDevIdp> {
  const tls = await loadOrCreateDevTls(options.dataDir);
  const keys = loadOrCreateIdpKeys(options.dataDir);
  const store = createSqliteAdapterStore({ file: path.join(options.dataDir, 'idp.sqlite') });
  const revoked = createRevokedTokenStore({ file: path.join(options.dataDir, 'idp.sqlite') });

  // The issuer names the port, which is only known after listening (tests ask for port 0).
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server = https.createServer(
    { key: tls.serverKeyPem, cert: tls.serverCertPem, minVersion: 'TLSv1.2' },
    (req, res) => {
      if (handle) return handle(req, res);
      res.writeHead(503).end();
    },
  );
  if (options.onParserRefusal) reportParserRefusals(server, options.onParserRefusal);
  let port: number;
  try {
    port = await listen(server, options.host, options.port);
  } catch (error) {
    store.close();
    revoked.close();
    throw error;
  }
  const issuer = `https://${options.host}:${port}`;
  const provider = new Provider(issuer, providerConfiguration(options, keys, store.factory));
  provider.use(consentToOfflineAccess(new Set([DEV_IDP.readerClientId])));
  auditTokenEvents(provider, options.audit);
  trackRevocations(provider, revoked, options.audit, options.accessTokenTtlSec);
  const interactions = createInteractionHandler({
    provider,
    firstPartyClients: new Map([[DEV_IDP.readerClientId, 'Attaché']]),
    audit: options.audit,
  });
  const callback = provider.callback();
  handle = (req, res) => {
    if (req.method === 'GET' && (req.url ?? '') === REVOKED_TOKENS_PATH) {
      try {
        return sendJson(res, 200, { revoked: revoked.revoked() });
      } catch (error) {
        log.error({ err: describeError(error) }, 'reading the revoked tokens failed');
        return sendJson(res, 500, { error: 'internal' });
      }
    }
    if ((req.url ?? '').startsWith(INTERACTION_PREFIX)) {
      interactions(req, res).catch((error: unknown) => {
        log.error({ err: describeError(error) }, 'interaction handler failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    void callback(req, res);
  };
  const sweep = setInterval(() => {
    try {
      store.sweep();
      revoked.sweep();
    } catch (error) {
      log.warn({ err: describeError(error) }, 'sweeping expired provider state failed');
    }
  }, SWEEP_INTERVAL_MS);
  sweep.unref();

  log.info({ issuer, caFile: tls.caFile }, 'development OpenID provider started');
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    revokedTokensUrl: `${issuer}${REVOKED_TOKENS_PATH}`,
    caFile: tls.caFile,
    caCertPem: tls.caCertPem,
    async stop() {
      clearInterval(sweep);
      await closeServer(server);
      store.close();
      revoked.close();
    },
  };
}
