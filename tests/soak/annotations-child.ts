// One device process of the annotations soak (annotations-soak.ts): opens the person's encrypted
// store (its key in the real keychain), syncs with the full sync service, and once the briefing
// is on the device writes annotations without pause (creates, and edits of the one before),
// printing `saved <note>` for each as soon as the service answers that it is saved: what the
// reader would then show as saved. The soak kills it with SIGKILL at random points.
// With `settle`, it writes nothing: it syncs until nothing is unsent, prints "settled", exits.
// Args: <dataDir> <brokerUrl> <label> <access token> <briefing id> [settle].
import { randomUUID } from 'node:crypto';
import { createAnnotationsService } from '../../src/main/annotations/annotations-service.js';
import { createLogger } from '../../src/main/logging/logger.js';
import { createKeytarKeychain } from '../../src/main/secrets/keychain.keytar.js';
import { keychainServiceFor } from '../../src/main/secrets/keychain-service.js';
import { openUserStore } from '../../src/main/storage/store.pouch.js';
import { createSyncService } from '../../src/main/sync/sync-service.js';
import type { Annotation } from '../../src/shared/annotations/fold.js';
import type { Result } from '../../src/shared/result.js';

export const SOAK_USER = 'alex.morgan';

const [dataDir, brokerUrl, label, token, briefingId, mode] = process.argv.slice(2);
if (!dataDir || !brokerUrl || !label || !token || !briefingId) {
  throw new Error(
    'usage: annotations-child <dataDir> <brokerUrl> <label> <token> <briefingId> [settle]',
  );
}
const logger = createLogger('soak', () => undefined);
const store = await openUserStore({
  dataDir,
  userId: SOAK_USER,
  keychain: createKeytarKeychain({ service: keychainServiceFor(dataDir) }),
  logger,
});
const sync = createSyncService({
  store,
  brokerUrl,
  tokenProvider: { getAccessToken: () => Promise.resolve(token) },
  logger,
  backOff: { initialMs: 50, maxMs: 200 },
  pullTuning: { longPollMs: 1_000 },
});
sync.start();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (mode === 'settle') {
  const deadline = Date.now() + 60_000;
  while ((await sync.sendPending(5_000)) > 0) {
    if (Date.now() > deadline) {
      process.stderr.write('returns still unsent after 60 s\n');
      process.exit(2);
    }
    await sleep(50);
  }
  await sync.stop();
  await store.close();
  process.stdout.write('settled\n');
  process.exit(0);
}

while (!(await store.getBriefingDoc(briefingId))) await sleep(20);
const annotations = createAnnotationsService({ store, deviceId: randomUUID(), logger });
process.stdout.write('ready\n');
let last: string | null = null;
for (let i = 0; ; i += 1) {
  const note = `${label} #${i} ${randomUUID()}`;
  const result: Result<Annotation> =
    last !== null && i % 3 === 2
      ? await annotations.save({ action: 'edit', annotationId: last, note })
      : await annotations.save({ action: 'create', briefingId, note });
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  last = result.value.id;
  process.stdout.write(`saved ${note}\n`);
  // A person types between marks; the sync gets a moment to push some of them.
  await sleep(Math.random() * 30);
}
