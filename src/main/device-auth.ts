// Wires the sign-in capability's real adapters from the device configuration: msal-node for
// the identity provider, keytar for the keychain. Both entry points (Electron main and the
// browser host) use it; tests hand createDeviceServices their own.
import { join } from 'node:path';
import { readCaFile, createHttpsClient } from './auth/https-client.js';
import { createMsalIdentityClient } from './auth/identity-client.msal.js';
import type { DeviceConfig } from './config.js';
import { ConfigError } from './config.js';
import type { DeviceAuthOptions } from './composition-root.js';
import type { Logger } from './logging/logger.js';
import { createKeytarKeychain } from './secrets/keychain.keytar.js';
import { keychainServiceFor } from './secrets/keychain-service.js';

/** The identity provider's discovery document, kept for offline renewal (public, not secret). */
export function authorityMetadataFile(dataDir: string): string {
  return join(dataDir, 'auth', 'authority-metadata.json');
}

export async function createDeviceAuth(
  config: DeviceConfig,
  dataDir: string,
  logger: Logger,
): Promise<DeviceAuthOptions> {
  let extraCaPem: string | null = null;
  if (config.auth.caFile) {
    try {
      extraCaPem = await readCaFile(config.auth.caFile);
    } catch (error) {
      throw new ConfigError(
        `ATTACHE_TLS_CA_FILE: cannot use ${config.auth.caFile} (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }
  const keychain = createKeytarKeychain({ service: keychainServiceFor(dataDir) });
  const identity = createMsalIdentityClient({
    authority: config.auth.authority,
    clientId: config.auth.clientId,
    scopes: config.auth.scopes,
    keychain,
    https: createHttpsClient({ extraCaPem }),
    metadataFile: authorityMetadataFile(dataDir),
    logger,
  });
  return { identity, keychain, maxOfflineDays: config.auth.maxOfflineDays };
}
