// The tokens MSAL keeps for a device, read straight from the OS keychain, for specs that prove
// a token reaches nothing but the keychain.
import { createKeytarKeychain } from '../../../src/main/secrets/keychain.keytar.js';
import { SECRET_NAMES } from '../../../src/main/secrets/types.js';

/** The device's tokens in the keychain under `service`, by kind. */
export async function tokensInKeychain(
  service: string,
): Promise<{ access: string[]; refresh: string[]; id: string[] }> {
  const serialized = await createKeytarKeychain({ service }).get(SECRET_NAMES.msalTokenCache);
  const cache = JSON.parse(serialized ?? '{}') as Record<
    string,
    Record<string, { secret?: string }>
  >;
  const secrets = (section: string): string[] =>
    Object.values(cache[section] ?? {}).flatMap((entry) => (entry.secret ? [entry.secret] : []));
  return {
    access: secrets('AccessToken'),
    refresh: secrets('RefreshToken'),
    id: secrets('IdToken'),
  };
}
