// Returns flow back to the SOR exactly once in effect: a read receipt a device writes into its
// returns database reaches the SOR; a crash between the SOR write and the checkpoint sends it
// again, and the SOR's idempotency key makes that second write a no-op.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CouchClient } from '../../../server/src/couch/types.js';
import { createMetrics } from '../../../server/src/observability/metrics.js';
import type { Lease } from '../../../server/src/poller/lease.js';
import {
  createCouchCheckpoints,
  createReturnsIntegrator,
  returnIdempotencyKey,
} from '../../../server/src/returns/returns-integrator.js';
import type { ReturnsCheckpoints } from '../../../server/src/returns/returns-integrator.js';
import { SOR_API_PREFIX } from '../../../server/src/sor/sor-contract.js';
import { createRestSorAdapter } from '../../../server/src/sor/sor.rest.js';
import type { SorAdapter, SorReturn } from '../../../server/src/sor/types.js';
import { couchClientFor } from './couch-socket.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

type StoredReturn = { idempotencyKey: string; userId: string; sorId: string; type: string };

const receipt = (author: string, sorId: string, n: number) => ({
  type: 'read-receipt',
  briefingId: `briefing:${sorId}`,
  sorId,
  sourceVersion: 1,
  readAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
  author,
});

const heldLease: Lease = {
  name: 'returns',
  isHeld: () => true,
  tick: () => Promise.resolve(true),
  data: () => ({}),
  update: () => Promise.resolve(),
  start: () => undefined,
  stop: () => Promise.resolve(),
};
const silentAudit = { record: () => undefined, close: () => Promise.resolve() };

describe('returns integrator in the running server', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seedDemoData: false, returnsIntervalMs: 100 });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('brings a read receipt written through the broker back to the SOR, once', async () => {
    const user = 'rita.okafor';
    const created = await h.admin('POST', '/briefings', briefingInput('Read me', [user]));
    const sorId = (created.body as { sorId: string }).sorId;
    const token = await h.devToken(user);
    await waitFor('delivery', async () =>
      (await h.broker(`/db/briefings/${encodeURIComponent(`briefing:${sorId}`)}`, { token }))
        .status === 200
        ? true
        : undefined,
    );
    const put = await h.broker('/db/returns/read-receipt-1', {
      method: 'PUT',
      token,
      body: receipt(user, sorId, 1),
    });
    expect(put.status).toBe(201);
    const stored = await waitFor('the return in the SOR', async () => {
      const list = ((await h.admin('GET', '/returns')).body as { returns: StoredReturn[] }).returns;
      return list.length > 0 ? list : undefined;
    });
    expect(stored).toEqual([
      expect.objectContaining({
        idempotencyKey: returnIdempotencyKey(user, 'read-receipt-1'),
        userId: user,
        sorId,
        type: 'read-receipt',
      }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500)); // several more passes
    expect(
      ((await h.admin('GET', '/returns')).body as { returns: unknown[] }).returns,
    ).toHaveLength(1);
    const audit = fs.readFileSync(h.server.files.auditLog, 'utf8');
    expect(audit).toContain('"action":"returns.write"');
  });
});

describe('returns integrator across a crash between the SOR write and the checkpoint', () => {
  let h: Harness;
  let couch: CouchClient;
  let sor: SorAdapter;
  const users = ['sam.ito', 'tess.varga'];

  beforeAll(async () => {
    h = await startHarness({ seedDemoData: false, returnsEnabled: false });
    const secrets = JSON.parse(fs.readFileSync(h.server.files.serverSecrets, 'utf8')) as {
      couchAdmin: { username: string; password: string };
    };
    couch = couchClientFor(h.server, secrets.couchAdmin);
    sor = createRestSorAdapter({
      baseUrl: `${h.server.urls.sor}${SOR_API_PREFIX}`,
      token: h.adminToken,
      timeoutMs: 5_000,
    });
    const created = await h.admin('POST', '/briefings', briefingInput('Crash test', users));
    const sorId = (created.body as { sorId: string }).sorId;
    for (const user of users) {
      const token = await h.devToken(user);
      await waitFor('delivery', async () =>
        (await h.broker(`/db/briefings/${encodeURIComponent(`briefing:${sorId}`)}`, { token }))
          .status === 200
          ? true
          : undefined,
      );
      for (let n = 0; n < 5; n += 1) {
        const res = await h.broker(`/db/returns/read-receipt-${n}`, {
          method: 'PUT',
          token,
          body: receipt(user, sorId, n),
        });
        expect(res.status).toBe(201);
      }
    }
    // An entry no device could write (CouchDB refuses it from users); the admin can: it must be
    // refused by the integrator, not sent.
    await couch.putDoc(h.dbNames(users[0]!).returns, {
      _id: 'forged',
      ...receipt('someone-else', sorId, 9),
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('sends each return once in effect, however often it is sent', async () => {
    const writes: { key: string; outcome: string }[] = [];
    const recordingSor: SorAdapter = {
      ...sor,
      writeReturn: async (item: SorReturn) => {
        const outcome = await sor.writeReturn(item);
        writes.push({ key: item.idempotencyKey, outcome });
        return outcome;
      },
    };
    const real = createCouchCheckpoints(couch);
    const integrator = (checkpoints: ReturnsCheckpoints) =>
      createReturnsIntegrator({
        couch,
        sor: recordingSor,
        lease: heldLease,
        audit: silentAudit,
        metrics: createMetrics({
          queueDepth: () => Promise.resolve({ ready: 0, leased: 0, dead: 0 }),
        }),
        checkpoints,
        intervalMs: 100,
        maxBackoffMs: 1_000,
        pageSize: 3,
      });

    // First run: every SOR write succeeds, then the process "dies" before any checkpoint lands.
    const crashing: ReturnsCheckpoints = {
      read: (db) => real.read(db),
      save: () => Promise.reject(new Error('killed between the SOR write and the checkpoint')),
    };
    await expect(integrator(crashing).runOnce()).rejects.toThrow('killed');
    const firstRun = writes.splice(0);
    expect(firstRun.length).toBeGreaterThanOrEqual(3);
    expect(firstRun.every((w) => w.outcome === 'stored')).toBe(true);

    // The restart sends them again: the SOR recognises every one already stored.
    const sent = await integrator(real).runOnce();
    const secondRun = writes.splice(0);
    expect(secondRun.length).toBe(10);
    for (const w of secondRun) {
      expect(w.outcome).toBe(firstRun.some((f) => f.key === w.key) ? 'duplicate' : 'stored');
    }
    expect(sent).toBe(10 - firstRun.length);

    // In effect: exactly one return per receipt in the SOR, and nothing forged.
    const stored = ((await h.admin('GET', '/returns')).body as { returns: StoredReturn[] }).returns;
    expect(stored.map((r) => r.idempotencyKey).sort()).toEqual(
      users
        .flatMap((u) => [0, 1, 2, 3, 4].map((n) => returnIdempotencyKey(u, `read-receipt-${n}`)))
        .sort(),
    );

    // Checkpointed now: a further pass sends nothing.
    expect(await integrator(real).runOnce()).toBe(0);
    expect(writes).toEqual([]);
  });
});
