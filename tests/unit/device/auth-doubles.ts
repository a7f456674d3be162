// Test doubles of the sign-in capability's ports, for unit tests only. The real adapters
// (keychain.keytar.ts, identity-client.msal.ts) are exercised against the real gnome-keyring and
// the real OpenID provider in tests/integration and tests/e2e.
import type { AuthAccount, IdentityClient, TokenGrant } from '../../../src/main/auth/types.js';
import { AuthError } from '../../../src/main/auth/types.js';
import type { Keychain, SecretName } from '../../../src/main/secrets/types.js';
import { SECRET_NAMES } from '../../../src/main/secrets/types.js';
import { eventuallyValue } from '../../support/eventually.js';

/** The Keychain port on a Map. Named as what it is, so nobody wires it into the product. */
export function createInMemoryKeychainTestDouble(): Keychain & {
  readonly entries: Map<SecretName, string>;
} {
  const entries = new Map<SecretName, string>();
  return {
    entries,
    get: (name) => Promise.resolve(entries.get(name) ?? null),
    set: (name, value) => {
      entries.set(name, value);
      return Promise.resolve();
    },
    delete: (name) => {
      entries.delete(name);
      return Promise.resolve();
    },
  };
}

export const ALEX: AuthAccount = {
  homeAccountId: 'alex.morgan.home',
  userId: 'alex.morgan',
  username: 'alex.morgan@example.test',
  displayName: 'Alex Morgan',
};
export const SAM: AuthAccount = {
  homeAccountId: 'sam.taylor.home',
  userId: 'sam.taylor',
  username: 'sam.taylor@example.test',
  displayName: 'Sam Taylor',
};

export const SIGN_IN_PAGE = 'https://idp.test/auth?client_id=attache-reader&state=s1';

type PendingSignIn = {
  readonly loginHint: string | undefined;
  readonly freshLogin: boolean | undefined;
  readonly complete: (account: AuthAccount) => void;
  readonly fail: (error: Error) => void;
};

/**
 * An identity provider scripted by the test: sign-ins wait until the test completes or fails
 * them; silent acquisition answers from a token "cache" or renews while `online` and the
 * refresh token is still `refreshValid`. Issued tokens are written to the keychain the way
 * MSAL's cache plugin would, so tests can look for them anywhere they must not be.
 */
export function createScriptedIdentity(options: {
  readonly keychain: Keychain;
  readonly now: () => number;
  readonly tokenLifetimeMs?: number;
  readonly signInPage?: string;
}) {
  const lifetime = options.tokenLifetimeMs ?? 60 * 60_000;
  const script = {
    online: true,
    refreshValid: true,
    silentCalls: [] as Array<{ account: string; forceRefresh: boolean }>,
    /** Interactive sign-ins the session started (each opens the browser once). */
    interactiveCalls: 0,
    forgotten: [] as string[],
    issued: [] as string[],
    pending: null as PendingSignIn | null,
    cached: null as { account: AuthAccount; token: string; expiresAt: number } | null,
  };
  let counter = 0;

  const issue = async (account: AuthAccount): Promise<TokenGrant> => {
    counter += 1;
    const token = `access-token-${account.userId}-${counter}-${'x'.repeat(24)}`;
    const refresh = `refresh-token-${account.userId}-${counter}-${'y'.repeat(24)}`;
    script.issued.push(token, refresh);
    const expiresAt = options.now() + lifetime;
    script.cached = { account, token, expiresAt };
    await options.keychain.set(
      SECRET_NAMES.msalTokenCache,
      JSON.stringify({
        AccessToken: { a: { secret: token } },
        RefreshToken: { r: { secret: refresh } },
      }),
    );
    return { accessToken: token, expiresAt, fromCache: false, account };
  };

  const identity: IdentityClient = {
    signInInteractive: ({ openBrowser, signal, loginHint, freshLogin }) =>
      new Promise<TokenGrant>((resolve, reject) => {
        script.interactiveCalls += 1;
        if (!script.online) {
          reject(new AuthError('unreachable', 'provider unreachable'));
          return;
        }
        signal.addEventListener('abort', () => {
          script.pending = null;
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        });
        script.pending = {
          loginHint,
          freshLogin,
          complete: (account) => {
            script.pending = null;
            script.refreshValid = true;
            issue(account).then(resolve, reject);
          },
          fail: (error) => {
            script.pending = null;
            reject(error);
          },
        };
        openBrowser(options.signInPage ?? SIGN_IN_PAGE).catch(reject);
      }),

    acquireSilent: async (account, { forceRefresh }) => {
      script.silentCalls.push({ account: account.userId, forceRefresh });
      const cached = script.cached;
      if (
        !forceRefresh &&
        cached?.account.userId === account.userId &&
        cached.expiresAt - 5 * 60_000 > options.now()
      ) {
        return { accessToken: cached.token, expiresAt: cached.expiresAt, fromCache: true, account };
      }
      if (!script.online) throw new AuthError('unreachable', 'provider unreachable');
      if (!script.refreshValid) throw new AuthError('interaction-required', 'invalid_grant');
      return issue(account);
    },

    forget: async (account) => {
      script.forgotten.push(account.userId);
      script.cached = null;
      await options.keychain.delete(SECRET_NAMES.msalTokenCache);
    },
  };

  return { identity, script };
}

export async function until(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  await eventuallyValue(probe, { what, timeout: timeoutMs, interval: 5 });
}
