// One device process of the first-sync soak (first-sync.soak.ts): opens the person's encrypted
// store (its key in the real keychain), pulls from the source with the device's own pull until
// the first sync is complete, prints "complete" and exits. The soak kills it with SIGKILL at
// random points. Args: <dataDir> <sourceUrl>.
import { createLogger } from '../../src/main/logging/logger.js';
import { createKeytarKeychain } from '../../src/main/secrets/keychain.keytar.js';
import { keychainServiceFor } from '../../src/main/secrets/keychain-service.js';
import { openUserStore } from '../../src/main/storage/store.pouch.js';
import { createBrokerTransport } from '../../src/main/sync/broker-remote.pouch.js';
import { startPull } from '../../src/main/sync/pull.js';

const [dataDir, sourceUrl] = process.argv.slice(2);
if (!dataDir || !sourceUrl) throw new Error('usage: first-sync-child <dataDir> <sourceUrl>');
const logger = createLogger('soak', () => undefined);
const store = await openUserStore({
  dataDir,
  userId: 'alex.morgan',
  keychain: createKeytarKeychain({ service: keychainServiceFor(dataDir) }),
  logger,
});
const handle = startPull({
  transport: createBrokerTransport({
    brokerUrl: sourceUrl,
    authorization: () => Promise.resolve('Bearer soak'),
    onRequest: () => undefined,
  }),
  target: store.pullTarget,
  logger,
  backOff: () => 100,
  tuning: { pageSize: 200, batchSize: 25 },
  onEvent: (event) => {
    if (event.kind === 'checkpoint') process.stdout.write(`checkpoint ${String(event.seq)}\n`);
    if (event.kind === 'paused' && event.error === null) {
      void (async () => {
        await handle.cancel();
        await store.close();
        process.stdout.write('complete\n');
        process.exit(0);
      })();
    }
  },
});
