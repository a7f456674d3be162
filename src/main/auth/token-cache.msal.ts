// MSAL's token cache lives in the OS keychain and nowhere else: this plugin is MSAL's only
// persistence (no file, no other store). MSAL calls beforeCacheAccess before it reads or
// writes its cache and afterCacheAccess once done.
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import { registerSecret } from '../logging/redact.js';
import type { Keychain } from '../secrets/types.js';
import { SECRET_NAMES } from '../secrets/types.js';

export type KeychainCachePlugin = ICachePlugin & {
  /**
   * Deletes the cache from the keychain. Operations MSAL began before this call may finish
   * after it; their writes are dropped, so a signed-out device does not get tokens back.
   */
  readonly clear: () => Promise<void>;
};

const SECRET_SECTIONS = ['AccessToken', 'RefreshToken', 'IdToken'] as const;

/** Hands every token in a serialized cache to the logger's redaction, whatever its shape. */
function registerCacheSecrets(serialized: string): void {
  let cache: unknown;
  try {
    cache = JSON.parse(serialized);
  } catch {
    return;
  }
  if (typeof cache !== 'object' || cache === null) return;
  for (const section of SECRET_SECTIONS) {
    const entries = (cache as Record<string, unknown>)[section];
    if (typeof entries !== 'object' || entries === null) continue;
    for (const entry of Object.values(entries)) {
      const secret = (entry as { secret?: unknown } | null)?.secret;
      if (typeof secret === 'string') registerSecret(secret);
    }
  }
}

export function createKeychainCachePlugin(keychain: Keychain, logger: Logger): KeychainCachePlugin {
  let epoch = 0;
  const startedIn = new WeakMap<TokenCacheContext, number>();
  // Serialised: two concurrent MSAL operations must not write their snapshots out of order.
  let writes: Promise<void> = Promise.resolve();

  return {
    beforeCacheAccess: async (context) => {
      startedIn.set(context, epoch);
      await writes;
      const serialized = await keychain.get(SECRET_NAMES.msalTokenCache);
      if (serialized === null) return;
      registerCacheSecrets(serialized);
      context.tokenCache.deserialize(serialized);
    },

    afterCacheAccess: async (context) => {
      if (!context.cacheHasChanged) return;
      if ((startedIn.get(context) ?? epoch) !== epoch) {
        logger.debug('dropped a token cache write that began before sign-out');
        return;
      }
      const serialized = context.tokenCache.serialize();
      registerCacheSecrets(serialized);
      const at = epoch;
      const write = writes.then(async () => {
        if (at === epoch) await keychain.set(SECRET_NAMES.msalTokenCache, serialized);
      });
      // The queue survives a failed write; this operation still reports it.
      writes = write.catch(() => undefined);
      try {
        await write;
      } catch (error) {
        logger.error('could not save the token cache in the keychain', errorFields(error));
        throw error;
      }
    },

    clear: async () => {
      epoch += 1;
      await writes;
      await keychain.delete(SECRET_NAMES.msalTokenCache);
    },
  };
}
