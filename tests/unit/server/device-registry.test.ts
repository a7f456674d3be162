import { describe, expect, it } from 'vitest';
import { createDeviceRegistry } from '../../../server/src/devices/device-registry.js';
import type { AuditEntry } from '../../../server/src/observability/audit-log.js';
import type { CouchClient, CouchDoc } from '../../../server/src/couch/types.js';
import { CouchError } from '../../../server/src/couch/types.js';

const PHONE = '11111111-1111-4111-8111-111111111111';
const LAPTOP = '22222222-2222-4222-8222-222222222222';

/** Just enough of CouchDB for one control database: documents with `_rev` compare-and-swap. */
function fakeCouch(): CouchClient & { writes: number } {
  const docs = new Map<string, CouchDoc>();
  const client = {
    writes: 0,
    createDb: () => Promise.resolve('exists' as const),
    putSecurity: () => Promise.resolve(),
    getDoc: (_db: string, id: string) => Promise.resolve(structuredClone(docs.get(id) ?? null)),
    putDoc(_db: string, doc: CouchDoc) {
      const current = docs.get(doc._id);
      if ((current?._rev ?? undefined) !== doc._rev) {
        return Promise.reject(new CouchError('conflict', 409, 'conflict', 'put'));
      }
      const rev = `${Number((current?._rev ?? '0').split('-')[0]) + 1}-x`;
      docs.set(doc._id, { ...structuredClone(doc), _rev: rev });
      client.writes += 1;
      return Promise.resolve({ rev });
    },
  };
  return client as unknown as CouchClient & { writes: number };
}

function setUp() {
  let now = new Date('2026-03-01T09:00:00Z');
  const audit: AuditEntry[] = [];
  const couch = fakeCouch();
  const registry = createDeviceRegistry({
    couch,
    serviceAdminName: 'attache-service',
    audit: { record: (entry) => void audit.push(entry), close: () => Promise.resolve() },
    now: () => now,
  });
  return {
    registry,
    audit,
    couch,
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
  };
}

describe('device registry', () => {
  it('remembers each device of a user with its label, first and last seen, writing at most every ten minutes', async () => {
    const { registry, couch, advance } = setUp();
    await registry.seen('alex', PHONE, 'alex-phone');
    await registry.seen('alex', PHONE, 'alex-phone');
    expect(couch.writes).toBe(1);
    advance(11 * 60_000);
    await registry.seen('alex', PHONE, 'alex-phone');
    await registry.seen('alex', LAPTOP, 'alex-laptop');
    expect(couch.writes).toBe(3);
    const devices = await registry.list('alex');
    expect(devices.map((d) => d.deviceId)).toEqual(expect.arrayContaining([PHONE, LAPTOP]));
    const phone = devices.find((d) => d.deviceId === PHONE);
    expect(phone).toMatchObject({
      label: 'alex-phone',
      firstSeen: '2026-03-01T09:00:00.000Z',
      lastSeen: '2026-03-01T09:11:00.000Z',
      wipe: null,
    });
    expect(await registry.list('sam')).toEqual([]);
  });

  it('applies an order to the targeted device only, until that device confirms it', async () => {
    const { registry, audit } = setUp();
    await registry.seen('alex', PHONE, 'phone');
    await registry.seen('alex', LAPTOP, 'laptop');
    const orders = await registry.orderWipe('alex', { kind: 'device', deviceId: PHONE }, 'it-desk');
    expect(orders).toHaveLength(1);
    expect(await registry.pendingWipe('alex', PHONE)).toMatchObject({ state: 'pending' });
    expect(await registry.pendingWipe('alex', LAPTOP)).toBeNull();
    // The same device signed in as someone else is not that person's device.
    expect(await registry.pendingWipe('sam', PHONE)).toBeNull();

    const done = await registry.completeWipe('alex', PHONE);
    expect(done).toMatchObject({ orderId: orders[0]?.orderId, state: 'completed' });
    expect(await registry.pendingWipe('alex', PHONE)).toBeNull();
    expect((await registry.list('alex')).find((d) => d.deviceId === PHONE)?.wipe).toMatchObject({
      state: 'completed',
    });
    expect(audit.map((e) => e.action)).toEqual(['device.wipe-ordered', 'device.wipe-completed']);
    expect(audit[0]).toMatchObject({ user: 'alex', deviceId: PHONE, orderedBy: 'it-desk' });
  });

  it('orders every device seen so far for "all", and none for a device it never saw', async () => {
    const { registry } = setUp();
    await registry.seen('alex', PHONE, 'phone');
    await registry.seen('alex', LAPTOP, 'laptop');
    expect(await registry.orderWipe('alex', { kind: 'all' }, 'it')).toHaveLength(2);
    expect(await registry.orderWipe('sam', { kind: 'device', deviceId: PHONE }, 'it')).toEqual([]);
  });

  it('tells listeners of an order, and repeats a pending order rather than making a second', async () => {
    const { registry } = setUp();
    const told: string[] = [];
    registry.onOrder((user, deviceId) => told.push(`${user}/${deviceId}`));
    await registry.seen('alex', PHONE, 'phone');
    const first = await registry.orderWipe('alex', { kind: 'device', deviceId: PHONE }, 'it');
    const again = await registry.orderWipe('alex', { kind: 'device', deviceId: PHONE }, 'it');
    expect(again[0]?.orderId).toBe(first[0]?.orderId);
    expect(told).toEqual([`alex/${PHONE}`, `alex/${PHONE}`]);
  });
});
