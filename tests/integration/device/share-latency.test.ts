// Share to device on embedded defaults (poll interval, fan-out idle, broker limits as shipped):
// a briefing shared in the SOR is readable on a device, through the real poller, queue, fan-out
// and broker, well within half a second. The demo SOR says "something changed" and wakes the
// poller at once, so a share no longer waits for the next poll; the device's long poll of its
// changes feed then brings it in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import type { UserStore } from '../../../src/main/storage/types.js';
import { createSyncService } from '../../../src/main/sync/sync-service.js';
import type { SyncService } from '../../../src/main/sync/types.js';
import { createInMemoryKeychainTestDouble } from '../../unit/device/auth-doubles.js';
import { memoryLogger, tempDir } from '../../unit/device/fixtures.js';
import type { Harness } from '../server/server-harness.js';
import { briefingInput, startHarness, waitFor } from '../server/server-harness.js';

const USER = 'alex.morgan';
const SHARES = 20;
const P95_LIMIT_MS = 500;

let h: Harness;
let store: UserStore;
let sync: SyncService;
let removeDir: () => Promise<void>;
const arrived = new Map<string, number>();

async function share(title: string): Promise<string> {
  const reply = await h.admin('POST', '/briefings', briefingInput(title, [USER]));
  if (reply.status !== 201) throw new Error(`sharing ${title}: ${reply.status}`);
  return `briefing:${(reply.body as { sorId: string }).sorId}`;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

beforeAll(async () => {
  // The shipped defaults for everything on the way (the harness shortens them for other tests).
  h = await startHarness({ seedDemoData: false, pollIntervalMs: 1_000, fanoutIdleMs: 200 });
  const dir = await tempDir('share-latency');
  removeDir = () => dir.remove();
  const { logger } = memoryLogger();
  store = await openUserStore({
    dataDir: dir.path,
    userId: USER,
    keychain: createInMemoryKeychainTestDouble(),
    logger,
  });
  store.onBriefingsChange((changes) => {
    for (const change of changes) if (!arrived.has(change.id)) arrived.set(change.id, Date.now());
  });
  sync = createSyncService({
    store,
    brokerUrl: h.server.urls.broker,
    tokenProvider: { getAccessToken: () => h.devToken(USER) },
    logger,
  });
  // A first briefing makes the person's databases; the device then syncs and goes live.
  const first = await share('First');
  sync.start();
  await waitFor('the first briefing on the device', () =>
    Promise.resolve(arrived.has(first) || undefined),
  );
  await waitFor('the device caught up', () =>
    Promise.resolve(sync.status().state === 'up-to-date' ? true : undefined),
  );
}, 120_000);

afterAll(async () => {
  await sync?.stop();
  await store?.close();
  await removeDir?.();
  await h?.stop();
});

describe('share to device', () => {
  it(`makes a shared briefing readable on the device with p95 under ${P95_LIMIT_MS} ms (${SHARES} shares)`, async () => {
    const latencies: number[] = [];
    for (let i = 0; i < SHARES; i += 1) {
      const sharedAt = Date.now();
      const id = await share(`Latency ${i}`);
      await waitFor(`briefing ${i} on the device`, () =>
        Promise.resolve(arrived.has(id) || undefined),
      );
      // Readable, not only written: the reader's own read answers it.
      expect((await store.getBriefingDoc(id))?._id).toBe(id);
      latencies.push((arrived.get(id) ?? Date.now()) - sharedAt);
      // Spread the shares over the poll interval, as people share at any moment.
      await new Promise((resolve) => setTimeout(resolve, 137));
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p95 = percentile(sorted, 95);
    console.info(
      `share to device over ${SHARES} shares: p50 ${p50} ms, p95 ${p95} ms, max ${sorted.at(-1)} ms`,
    );
    expect(
      p95,
      `share to device p95 is ${p95} ms (p50 ${p50} ms; all: ${sorted.join(', ')}), over the ${P95_LIMIT_MS} ms target`,
    ).toBeLessThan(P95_LIMIT_MS);
  }, 120_000);
});
