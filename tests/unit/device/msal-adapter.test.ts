// The msal-node adapter's own logic: how msal's errors map onto the port's failures, and the
// keychain cache plugin. The full flow runs against the real provider in the e2e suite.
import type { TokenCacheContext } from '@azure/msal-node';
import { InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { HttpsClientError } from '../../../src/main/auth/https-client.js';
import { classifyMsalError, protocolFlavour } from '../../../src/main/auth/identity-client.msal.js';
import { createKeychainCachePlugin } from '../../../src/main/auth/token-cache.msal.js';
import { AuthError } from '../../../src/main/auth/types.js';
import { redactString } from '../../../src/main/logging/redact.js';
import { SECRET_NAMES } from '../../../src/main/secrets/types.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import { memoryLogger } from './fixtures.js';

const failureOf = (error: unknown) => (classifyMsalError(error) as AuthError).failure;

describe('msal adapter', () => {
  it('treats a refused refresh token (invalid_grant) like interaction required', () => {
    expect(failureOf(new InteractionRequiredAuthError('no_tokens_found', 'correlation-id'))).toBe(
      'interaction-required',
    );
    expect(failureOf(new ServerError('invalid_grant', 'x', 'grant request is invalid'))).toBe(
      'interaction-required',
    );
  });

  it('treats transport failures and provider outages as unreachable', () => {
    expect(failureOf(new HttpsClientError('ECONNREFUSED', 'network'))).toBe('unreachable');
    expect(failureOf(new ServerError('server_error', 'x', 'boom', undefined, undefined, 503))).toBe(
      'unreachable',
    );
    expect(failureOf(new ServerError('server_error', 'x', 'broken'))).toBe('provider-error');
    expect(failureOf(new Error('anything else'))).toBe('provider-error');
  });

  it('takes the provider’s Cancel (access_denied) for the person’s choice, not a fault', () => {
    expect(
      failureOf(new ServerError('access_denied', 'x', 'The user cancelled the sign-in.')),
    ).toBe('declined');
  });

  it('passes its own errors through unchanged', () => {
    const own = new AuthError('cancelled', 'x');
    expect(classifyMsalError(own)).toBe(own);
  });

  it('speaks OIDC to any provider and Entra ID to Microsoft', () => {
    expect(protocolFlavour('https://127.0.0.1:5443/')).toBe('oidc');
    expect(protocolFlavour('https://login.microsoftonline.com/contoso/')).toBe('entra');
  });
});

function context(serialized: { value: string }, changed: boolean): TokenCacheContext {
  return {
    cacheHasChanged: changed,
    tokenCache: {
      serialize: () => serialized.value,
      deserialize: (value: string) => {
        serialized.value = value;
      },
    },
  } as unknown as TokenCacheContext;
}

describe('keychain token cache plugin', () => {
  const cache = (refresh: string) =>
    JSON.stringify({ RefreshToken: { k: { secret: refresh } }, AccessToken: {} });

  it('keeps MSAL’s cache in the keychain only, and registers its tokens for log redaction', async () => {
    const keychain = createInMemoryKeychainTestDouble();
    const plugin = createKeychainCachePlugin(keychain, memoryLogger().logger);
    const refresh = 'opaque-refresh-token-aaaaaaaaaaaaaaaaaaaa';
    const memory = { value: cache(refresh) };
    await plugin.beforeCacheAccess(context(memory, true));
    await plugin.afterCacheAccess(context(memory, true));
    expect(keychain.entries.get(SECRET_NAMES.msalTokenCache)).toBe(cache(refresh));
    expect(redactString(`leaked ${refresh}`)).toBe('leaked [redacted-secret]');

    const reread = { value: '' };
    await plugin.beforeCacheAccess(context(reread, false));
    expect(reread.value).toBe(cache(refresh));
  });

  it('drops a write from an operation that began before sign-out', async () => {
    const keychain = createInMemoryKeychainTestDouble();
    const plugin = createKeychainCachePlugin(keychain, memoryLogger().logger);
    const memory = { value: cache('refresh-token-before-sign-out-bbbbbbbb') };
    const inFlight = context(memory, true);
    await plugin.beforeCacheAccess(inFlight);
    await plugin.clear();
    await plugin.afterCacheAccess(inFlight);
    expect(keychain.entries.size).toBe(0);
  });
});
