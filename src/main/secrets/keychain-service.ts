// Which keychain "service" holds this device's secrets. One per data folder, so two copies of
// the device (the Electron app and a browser host, or parallel test runs) never read or delete
// each other's sign-in, and wiping a data folder's secrets cannot touch another's.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

export const KEYCHAIN_SERVICE_PREFIX = 'Attaché device';

export function keychainServiceFor(dataDir: string): string {
  const digest = createHash('sha256').update(resolve(dataDir), 'utf8').digest('hex').slice(0, 12);
  return `${KEYCHAIN_SERVICE_PREFIX} ${digest}`;
}
