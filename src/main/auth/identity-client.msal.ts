// The IdentityClient port on @azure/msal-node 7: a public client, authorization code + PKCE
// through the system browser, tokens cached only in the keychain (token-cache.msal.ts).
//
// Facts this adapter is built on (checked against msal-node 7.2):
// - The loopback listener binds 127.0.0.1 (LoopbackClient.listen(port, "127.0.0.1")) on a
//   random port and sends redirect_uri=http://localhost:<port> with response_mode=form_post;
//   an integration test re-checks the binding. msal 7 has no option to supply our own.
// - acquireTokenInteractive has no timeout or cancel: it waits on the loopback listener
//   forever. Cancelling here posts an error response with the request's own state to that
//   listener, which ends msal's wait and closes the port (see releaseLoopback).
// - Non-Microsoft providers need system.protocolMode 'OIDC' and knownAuthorities host:port;
//   the authority must be https and end with a slash.
// - Silent acquisition runs discovery first unless auth.authorityMetadata is given, so the
//   saved discovery document is always given (authority-metadata.ts).
// - A refresh token the provider no longer knows fails as ServerError invalid_grant, not as
//   InteractionRequiredAuthError: both mean "sign in again".
import { request as httpRequest } from 'node:http';
import type {
  AccountInfo,
  AuthenticationResult,
  Configuration,
  INetworkModule,
  NetworkRequestOptions,
  NetworkResponse,
} from '@azure/msal-node';
import {
  AuthError as MsalAuthError,
  InteractionRequiredAuthError,
  LogLevel,
  ProtocolMode,
  PublicClientApplication,
  ServerError,
} from '@azure/msal-node';
import type { Logger } from '../logging/logger.js';
import type { Keychain } from '../secrets/types.js';
import { KeychainError } from '../secrets/types.js';
import type { AuthorityMetadata, ProtocolFlavour } from './authority-metadata.js';
import { AuthorityMetadataError, createAuthorityMetadataStore } from './authority-metadata.js';
import { SIGN_IN_ERROR_PAGE, SIGN_IN_SUCCESS_PAGE } from './completion-pages.js';
import type { HttpsClient } from './https-client.js';
import { HttpsClientError } from './https-client.js';
import { createKeychainCachePlugin } from './token-cache.msal.js';
import type { AuthAccount, IdentityClient, TokenGrant } from './types.js';
import { AuthError } from './types.js';

export type MsalIdentityOptions = {
  /** https, with a trailing slash. */
  readonly authority: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly keychain: Keychain;
  readonly https: HttpsClient;
  /** Where the discovery document is kept (not secret). */
  readonly metadataFile: string;
  readonly logger: Logger;
};

const ENTRA_HOSTS = /(^|\.)(login\.microsoftonline\.(com|us)|login\.chinacloudapi\.cn)$/i;

export function protocolFlavour(authority: string): ProtocolFlavour {
  return ENTRA_HOSTS.test(new URL(authority).hostname) ? 'entra' : 'oidc';
}

const INTERACTION_CODES = new Set([
  'invalid_grant',
  'interaction_required',
  'login_required',
  'consent_required',
  'no_tokens_found',
  'refresh_token_expired',
  'bad_token',
  'no_account_in_silent_request',
  'no_account_found',
  'token_refresh_required',
]);
const UNREACHABLE_CODES = new Set([
  'network_error',
  'endpoints_resolution_error',
  'openid_config_error',
  'no_network_connectivity',
]);

/** Maps whatever msal (or our own https client) threw onto the port's failures. */
export function classifyMsalError(error: unknown): Error {
  if (error instanceof AuthError || error instanceof KeychainError) return error;
  if (error instanceof HttpsClientError) {
    return new AuthError('unreachable', error.message, { cause: error });
  }
  if (error instanceof AuthorityMetadataError) {
    return new AuthError('provider-error', error.message, { cause: error });
  }
  if (error instanceof InteractionRequiredAuthError) {
    return new AuthError('interaction-required', error.errorCode, { cause: error });
  }
  if (error instanceof MsalAuthError) {
    if (INTERACTION_CODES.has(error.errorCode)) {
      return new AuthError('interaction-required', error.errorCode, { cause: error });
    }
    if (UNREACHABLE_CODES.has(error.errorCode)) {
      return new AuthError('unreachable', error.errorCode, { cause: error });
    }
    // The provider's Cancel: the person's choice, not a fault (OAuth 2.0 §4.1.2.1).
    if (error.errorCode === 'access_denied') {
      return new AuthError('declined', error.errorCode, { cause: error });
    }
    const status = error instanceof ServerError ? error.status : undefined;
    if (typeof status === 'number' && status >= 500) {
      return new AuthError('unreachable', `${error.errorCode} (${status})`, { cause: error });
    }
    return new AuthError('provider-error', error.errorCode, { cause: error });
  }
  return new AuthError(
    'provider-error',
    error instanceof Error ? error.message : 'sign-in failed',
    {
      cause: error,
    },
  );
}

function toAccount(info: AccountInfo): AuthAccount {
  const claims = info.idTokenClaims ?? {};
  const userId = info.localAccountId || (typeof claims.sub === 'string' ? claims.sub : '');
  const username = info.username || userId;
  return {
    homeAccountId: info.homeAccountId,
    userId,
    username,
    displayName: info.name || username,
  };
}

function toGrant(result: AuthenticationResult | null): TokenGrant {
  if (!result?.account || !result.accessToken) {
    throw new AuthError('provider-error', 'the provider answered without an account or token');
  }
  const account = toAccount(result.account);
  if (!account.userId) throw new AuthError('provider-error', 'the id token names no user');
  return {
    accessToken: result.accessToken,
    expiresAt: result.expiresOn?.getTime() ?? Date.now(),
    fromCache: result.fromCache,
    account,
  };
}

/** msal's INetworkModule over the CA-aware https client. */
function networkModule(https: HttpsClient): INetworkModule {
  const send = async <T>(
    method: 'GET' | 'POST',
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> => {
    const response = await https.requestJson(url, {
      method,
      ...(options?.headers ? { headers: options.headers } : {}),
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
      ...(timeout ? { timeoutMs: timeout } : {}),
    });
    return { status: response.status, headers: { ...response.headers }, body: response.body as T };
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/**
 * Ends msal's wait on its loopback listener: an OAuth error response carrying the request's own
 * state is the one message the listener accepts and settles on. Best effort: if the listener is
 * already gone, there is nothing to release.
 */
function releaseLoopback(authUrl: string | null): Promise<void> {
  if (!authUrl) return Promise.resolve();
  let port: number;
  let state: string | null;
  try {
    const url = new URL(authUrl);
    state = url.searchParams.get('state');
    port = Number(new URL(url.searchParams.get('redirect_uri') ?? '').port);
  } catch {
    return Promise.resolve();
  }
  if (!state || !Number.isInteger(port) || port <= 0) return Promise.resolve();
  const body = new URLSearchParams({
    error: 'access_denied',
    error_description: 'Sign-in cancelled in Attaché',
    state,
  }).toString();
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
        timeout: 2_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', () => resolve());
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

export function createMsalIdentityClient(options: MsalIdentityOptions): IdentityClient {
  const { authority, clientId, logger } = options;
  if (!authority.startsWith('https://') || !authority.endsWith('/')) {
    throw new Error('the authority must be an https URL ending with a slash');
  }
  const scopes = [...options.scopes];
  const flavour = protocolFlavour(authority);
  const log = logger.child('msal');
  const cachePlugin = createKeychainCachePlugin(options.keychain, log);
  const metadataStore = createAuthorityMetadataStore({
    file: options.metadataFile,
    authority,
    flavour,
    https: options.https,
    logger: log,
  });

  let client: { app: PublicClientApplication; metadata: string } | null = null;
  let metadata: AuthorityMetadata | null = null;

  const build = (next: AuthorityMetadata): PublicClientApplication => {
    if (client && client.metadata === next.authorityMetadata) return client.app;
    const configuration: Configuration = {
      auth: {
        clientId,
        authority,
        knownAuthorities: [new URL(authority).host],
        authorityMetadata: next.authorityMetadata,
        cloudDiscoveryMetadata: next.cloudDiscoveryMetadata,
      },
      cache: { cachePlugin },
      system: {
        protocolMode: flavour === 'entra' ? ProtocolMode.AAD : ProtocolMode.OIDC,
        networkClient: networkModule(options.https),
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Info,
          // msal's own lines pass through our logger, so its redaction applies to them too.
          loggerCallback: (level, message) => {
            if (level === LogLevel.Error) log.error(message);
            // Entra's client_info never comes from other OpenID providers: expected, not a fault.
            else if (level === LogLevel.Warning && !message.includes('No client info'))
              log.warn(message);
            else log.debug(message);
          },
        },
      },
    };
    const app = new PublicClientApplication(configuration);
    client = { app, metadata: next.authorityMetadata };
    return app;
  };

  /** Offline-first: the saved document; the network only when there is none yet. */
  const currentApp = async (): Promise<PublicClientApplication> => {
    metadata ??= (await metadataStore.load()) ?? (await metadataStore.refresh());
    return build(metadata);
  };

  const findAccount = async (
    app: PublicClientApplication,
    account: AuthAccount,
  ): Promise<AccountInfo> => {
    const info = await app.getTokenCache().getAccountByHomeId(account.homeAccountId);
    if (!info) throw new AuthError('interaction-required', 'the account is not in the token cache');
    return info;
  };

  return {
    signInInteractive: async ({ openBrowser, signal, loginHint, freshLogin }) => {
      const abortReason = (): AuthError =>
        signal.reason instanceof AuthError
          ? signal.reason
          : new AuthError('cancelled', 'sign-in cancelled');
      if (signal.aborted) throw abortReason();
      let app: PublicClientApplication;
      try {
        // Online anyway: pick up a changed discovery document (key rollover, new endpoints).
        metadata = await metadataStore.refresh();
        app = build(metadata);
      } catch (error) {
        throw classifyMsalError(error);
      }
      let authUrl: string | null = null;
      const interactive = app.acquireTokenInteractive({
        scopes,
        ...(loginHint ? { loginHint } : {}),
        ...(freshLogin ? { prompt: 'login' } : {}),
        successTemplate: SIGN_IN_SUCCESS_PAGE,
        errorTemplate: SIGN_IN_ERROR_PAGE,
        openBrowser: async (url) => {
          authUrl = url;
          if (signal.aborted) throw abortReason();
          await openBrowser(url);
        },
      });
      let onAbort: (() => void) | null = null;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(abortReason());
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        return toGrant(await Promise.race([interactive, aborted]));
      } catch (error) {
        if (signal.aborted) {
          interactive.catch(() => undefined);
          await releaseLoopback(authUrl);
          throw abortReason();
        }
        throw classifyMsalError(error);
      } finally {
        if (onAbort) signal.removeEventListener('abort', onAbort);
        aborted.catch(() => undefined);
      }
    },

    acquireSilent: async (account, { forceRefresh }) => {
      try {
        const app = await currentApp();
        const info = await findAccount(app, account);
        return toGrant(await app.acquireTokenSilent({ account: info, scopes, forceRefresh }));
      } catch (error) {
        throw classifyMsalError(error);
      }
    },

    forget: async (account) => {
      const current = client?.app;
      if (current) {
        const info = await current.getTokenCache().getAccountByHomeId(account.homeAccountId);
        if (info) await current.getTokenCache().removeAccount(info);
      }
      // The keychain entry goes whole (it held only this account), and the in-memory cache
      // with it: the next sign-in starts from an empty cache.
      await cachePlugin.clear();
      client = null;
    },
  };
}
