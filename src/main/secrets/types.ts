// The OS keychain as the rest of the device sees it: three verbs on named secrets, scoped to
// one keychain "service" (one per device data folder). "Not found" is null, not an error; an
// error means the keychain itself could not be reached, which callers must not mistake for
// "nobody signed in".
import { createHash } from 'node:crypto';

/**
 * The secrets the device keeps. Everything else on disk is either encrypted with a store data
 * key kept here (each person's local store, see storage/store-key.ts) or not secret.
 */
export const SECRET_NAMES = {
  /** MSAL's serialized token cache: account, id, access and refresh tokens. */
  msalTokenCache: 'msal-token-cache',
  /** Who signed in on this device and when it last reached the identity provider. */
  session: 'session',
} as const;

/** The AES-256-GCM data key of one person's local store (never written to disk or logged). */
export type StoreKeySecretName = `store-key:${string}`;
/** The key that names one person's store folder on disk (storage/store-folder.ts). */
export type StoreFolderKeySecretName = `store-folder-key:${string}`;
export type SecretName =
  (typeof SECRET_NAMES)[keyof typeof SECRET_NAMES] | StoreKeySecretName | StoreFolderKeySecretName;

/** Named by a digest of the user id: stable, short on every OS, and no personal data. */
export function storeKeySecretName(userId: string): StoreKeySecretName {
  return `store-key:${createHash('sha256').update(userId, 'utf8').digest('hex').slice(0, 32)}`;
}

export type Keychain = {
  readonly get: (name: SecretName) => Promise<string | null>;
  readonly set: (name: SecretName, value: string) => Promise<void>;
  /** Deleting what is not there succeeds. */
  readonly delete: (name: SecretName) => Promise<void>;
};

export const KEYCHAIN_ERROR_CODES = {
  unavailable: 'keychain-unavailable',
} as const;

export class KeychainError extends Error {
  override readonly name = 'KeychainError';
  readonly code = KEYCHAIN_ERROR_CODES.unavailable;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
