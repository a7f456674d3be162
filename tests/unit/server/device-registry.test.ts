import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  KEEP_SEEN_WITHIN_MS,
  MAX_DEVICES_PER_USER,
  createDeviceRegistry,
  devicesDocId,
  wipeConfirmationKey,
} from '../../../server/src/devices/device-registry.js';
import type { AuditEntry } from '../../../server/src/audit/audit-log.js';
import type { CouchClient, CouchDoc } from '../../../server/src/couch/types.js';
import { CouchError } from '../../../server/src/couch/types.js';

const PHONE = '11111111-1111-4111-8111-111111111111';
const LAPTOP = '22222222-2222-4222-8222-222222222222';

/** Just enough of CouchDB for one control database: documents with `_rev` compare-and-swap. */
function fakeCouch(): CouchClient & { writes: number; docs: Map<string, CouchDoc> } {
  const docs = new Map<string, CouchDoc>();
  const client = {
    writes: 0,
    docs,
    createDb: () => Promise.resolve('exists' as const),
    getSecurity: () => Promise.resolve({}),
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
  return client as unknown as CouchClient & { writes: number; docs: Map<string, CouchDoc> };
}

const KEY = wipeConfirmationKey('a service secret of at least thirty-two characters');

function setUp() {
  let now = new Date('2026-03-01T09:00:00Z');
  const audit: AuditEntry[] = [];
  const couch = fakeCouch();
  const registry = createDeviceRegistry({
    couch,
    serviceAdminName: 'attache-service',
    audit: { record: (entry) => void audit.push(entry), close: () => Promise.resolve() },
    confirmationKey: KEY,
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

    const orderId = orders[0]?.orderId ?? '';
    const done = await registry.completeWipe(
      'alex',
      PHONE,
      registry.confirmationOf('alex', PHONE, orderId),
    );
    expect(done).toMatchObject({ kind: 'completed', order: { orderId, state: 'completed' } });
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

describe('wipe confirmation', () => {
  it('completes nothing without the order’s one-time value: none, a made-up one, another order’s', async () => {
    const { registry, audit } = setUp();
    await registry.seen('alex', PHONE, 'phone');
    await registry.seen('alex', LAPTOP, 'laptop');
    const [phoneOrder] = await registry.orderWipe(
      'alex',
      { kind: 'device', deviceId: PHONE },
      'it',
    );
    const [laptopOrder] = await registry.orderWipe(
      'alex',
      { kind: 'device', deviceId: LAPTOP },
      'it',
    );
    const phoneValue = registry.confirmationOf('alex', PHONE, phoneOrder?.orderId ?? '');
    const laptopValue = registry.confirmationOf('alex', LAPTOP, laptopOrder?.orderId ?? '');
    expect(phoneValue).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(laptopValue).not.toBe(phoneValue);

    for (const attempt of [null, 'A'.repeat(43), laptopValue, phoneValue.slice(0, 42)]) {
      expect(await registry.completeWipe('alex', PHONE, attempt)).toMatchObject({
        kind: 'not-confirmed',
        order: { orderId: phoneOrder?.orderId, state: 'pending' },
      });
    }
    // The same value under another person's name is not that person's order.
    expect(await registry.completeWipe('sam', PHONE, phoneValue)).toEqual({ kind: 'none-pending' });
    expect(await registry.pendingWipe('alex', PHONE)).toMatchObject({ state: 'pending' });
    expect(audit.filter((e) => e.action === 'device.wipe-completed')).toEqual([]);

    expect(await registry.completeWipe('alex', PHONE, phoneValue)).toMatchObject({
      kind: 'completed',
    });
    // One-time: the order it completed is done, so the value completes nothing again.
    expect(await registry.completeWipe('alex', PHONE, phoneValue)).toEqual({
      kind: 'none-pending',
    });
    expect(audit.filter((e) => e.action === 'device.wipe-completed')).toHaveLength(1);
  });

  it('confirms an order written by the previous release, which stored no one-time value', async () => {
    const { registry, couch } = setUp();
    const orderId = randomUUID();
    // The control document exactly as the previous release wrote it.
    await couch.putDoc('attache-control', {
      _id: devicesDocId('alex'),
      type: 'devices',
      user: 'alex',
      devices: {
        [PHONE]: {
          deviceId: PHONE,
          label: 'phone',
          firstSeen: '2026-02-01T09:00:00.000Z',
          lastSeen: '2026-02-20T09:00:00.000Z',
          wipe: {
            orderId,
            orderedAt: '2026-02-28T09:00:00.000Z',
            orderedBy: 'it',
            state: 'pending',
            completedAt: null,
          },
        },
      },
    });
    expect(await registry.pendingWipe('alex', PHONE)).toMatchObject({ orderId });
    expect(await registry.completeWipe('alex', PHONE, null)).toMatchObject({
      kind: 'not-confirmed',
    });
    expect(
      await registry.completeWipe('alex', PHONE, registry.confirmationOf('alex', PHONE, orderId)),
    ).toMatchObject({ kind: 'completed', order: { orderId } });
  });
});

describe('device list bound', () => {
  const madeUp = (n: number) => Array.from({ length: n }, () => randomUUID());

  it('25 made-up device ids do not push out the real device, nor one with a pending order', async () => {
    const { registry, audit, advance } = setUp();
    await registry.seen('alex', PHONE, 'real phone');
    // An old laptop, not seen for months, with an order that has not reached it yet.
    await registry.seen('alex', LAPTOP, 'old laptop');
    await registry.orderWipe('alex', { kind: 'device', deviceId: LAPTOP }, 'it');
    advance(90 * 24 * 60 * 60_000);
    await registry.seen('alex', PHONE, 'real phone');
    advance(60_000);
    for (const id of madeUp(25)) await registry.seen('alex', id, 'fake');

    const ids = (await registry.list('alex')).map((d) => d.deviceId);
    expect(ids).toHaveLength(MAX_DEVICES_PER_USER);
    expect(ids).toContain(PHONE);
    expect(ids).toContain(LAPTOP);
    expect(await registry.pendingWipe('alex', LAPTOP)).toMatchObject({ state: 'pending' });
    // The ids that found no room are on the trail, not silently lost.
    const notRecorded = audit.filter((e) => e.action === 'device.not-recorded');
    expect(notRecorded).toHaveLength(25 - (MAX_DEVICES_PER_USER - 2));
    expect(notRecorded[0]).toMatchObject({ user: 'alex', decision: 'refused' });
  });

  it('makes room by dropping the longest unseen device without an order, once it is past the recent window', async () => {
    const { registry, advance } = setUp();
    await registry.seen('alex', LAPTOP, 'retired laptop');
    advance(KEEP_SEEN_WITHIN_MS + 60_000);
    await registry.seen('alex', PHONE, 'phone');
    const others = madeUp(MAX_DEVICES_PER_USER - 2);
    for (const id of others) await registry.seen('alex', id, 'another');
    const newest = randomUUID();
    await registry.seen('alex', newest, 'new laptop');

    const ids = (await registry.list('alex')).map((d) => d.deviceId);
    expect(ids).toHaveLength(MAX_DEVICES_PER_USER);
    expect(ids).toContain(newest);
    expect(ids).toContain(PHONE);
    expect(ids).not.toContain(LAPTOP);
  });
});
