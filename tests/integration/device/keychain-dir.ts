// A temporary data folder with its own service in the real OS keychain, and the cleanup that
// removes both (every keychain entry the test wrote, then the folder).
import keytar from 'keytar';
import { createKeytarKeychain } from '../../../src/main/secrets/keychain.keytar.js';
import { keychainServiceFor } from '../../../src/main/secrets/keychain-service.js';
import { tempDir } from '../../unit/device/fixtures.js';

export async function keychainDir(name: string) {
  const dir = await tempDir(name);
  const service = keychainServiceFor(dir.path);
  const remove = async () => {
    for (const { account } of await keytar.findCredentials(service)) {
      await keytar.deletePassword(service, account);
    }
    await dir.remove();
  };
  return { path: dir.path, keychain: createKeytarKeychain({ service }), remove };
}
