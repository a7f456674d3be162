// Which devices each person uses, and the wipe orders an administrator gave for them. Kept in
// the control database (service admin only) so that every broker instance and the ops endpoint
// see the same orders: one document per user (`devices:<hex of user id>`) listing their
// devices, updated by `_rev` compare-and-swap.
//
// An order targets one device id of one user. It applies to every request that device makes as
// that user until the device confirms the wipe; the confirmation completes it, and from then on
// the same device signs in like any other. An order for "all devices" is one order per device
// seen so far: a device first seen afterwards is not wiped.
import { randomUUID } from 'node:crypto';
import { CONTROL_DB, ensureControlDb } from '../couch/control-db.js';
import type { CouchClient, CouchDoc } from '../couch/types.js';
import { CouchError } from '../couch/types.js';
import type { AuditLog } from '../observability/audit-log.js';
import type { DeviceRecord, DeviceRegistry, WipeOrder, WipeTarget } from './types.js';

/** A device's lastSeen is written at most this often (every request would be a write otherwise). */
const SEEN_WRITE_INTERVAL_MS = 10 * 60_000;
/** How long a broker instance trusts what it read about pending orders. */
const PENDING_CACHE_MS = 5_000;
/** Devices remembered per user; past this, the longest unseen one without a pending order goes. */
const MAX_DEVICES_PER_USER = 20;
const CAS_ATTEMPTS = 5;
/** Entries each in-memory map keeps before it starts afresh (they are caches of the database). */
const MAX_CACHED = 10_000;

type DevicesDoc = CouchDoc & {
  readonly type: 'devices';
  readonly user: string;
  readonly devices: Readonly<Record<string, DeviceRecord>>;
};

export function devicesDocId(user: string): string {
  return `devices:${Buffer.from(user, 'utf8').toString('hex')}`;
}

export function createDeviceRegistry(deps: {
  readonly couch: CouchClient;
  readonly serviceAdminName: string;
  readonly audit: AuditLog;
  readonly now?: () => Date;
}): DeviceRegistry {
  const now = deps.now ?? (() => new Date());
  const lastWritten = new Map<string, number>();
  const pendingCache = new Map<string, { order: WipeOrder | null; at: number }>();
  const orderListeners = new Set<(user: string, deviceId: string) => void>();
  let ready: Promise<void> | null = null;

  const key = (user: string, deviceId: string) => `${user}\u0000${deviceId}`;
  /** A signed-in user sending ever new device ids must not grow this process without bound. */
  const bounded = <V>(map: Map<string, V>): Map<string, V> => {
    if (map.size >= MAX_CACHED) map.clear();
    return map;
  };
  const init = (): Promise<void> => {
    ready ??= ensureControlDb(deps.couch, deps.serviceAdminName).catch((error: unknown) => {
      ready = null;
      throw error;
    });
    return ready;
  };

  async function read(user: string): Promise<DevicesDoc | null> {
    await init();
    return (await deps.couch.getDoc(CONTROL_DB, devicesDocId(user))) as DevicesDoc | null;
  }

  /** Applies `change` to the user's document, retrying on a concurrent write. */
  async function update(
    user: string,
    change: (devices: Record<string, DeviceRecord>) => boolean,
  ): Promise<Readonly<Record<string, DeviceRecord>>> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await read(user);
      const devices: Record<string, DeviceRecord> = { ...(current?.devices ?? {}) };
      if (!change(devices)) return devices;
      const doc: DevicesDoc = {
        _id: devicesDocId(user),
        ...(current?._rev ? { _rev: current._rev } : {}),
        type: 'devices',
        user,
        devices,
      };
      try {
        await deps.couch.putDoc(CONTROL_DB, doc);
        return devices;
      } catch (error) {
        if (!(error instanceof CouchError && error.code === 'conflict') || attempt >= CAS_ATTEMPTS)
          throw error;
      }
    }
  }

  function evictIfFull(devices: Record<string, DeviceRecord>): void {
    const ids = Object.keys(devices);
    if (ids.length <= MAX_DEVICES_PER_USER) return;
    const evictable = ids
      .filter((id) => devices[id]?.wipe?.state !== 'pending')
      .sort((a, b) => (devices[a]?.lastSeen ?? '').localeCompare(devices[b]?.lastSeen ?? ''));
    const oldest = evictable[0];
    if (oldest !== undefined) delete devices[oldest];
  }

  return {
    init,

    async seen(user, deviceId, label) {
      const at = now();
      const k = key(user, deviceId);
      const last = lastWritten.get(k);
      if (last !== undefined && at.getTime() - last < SEEN_WRITE_INTERVAL_MS) return;
      bounded(lastWritten).set(k, at.getTime());
      await update(user, (devices) => {
        const known = devices[deviceId];
        devices[deviceId] = {
          deviceId,
          label,
          firstSeen: known?.firstSeen ?? at.toISOString(),
          lastSeen: at.toISOString(),
          wipe: known?.wipe ?? null,
        };
        evictIfFull(devices);
        return true;
      });
    },

    async pendingWipe(user, deviceId) {
      const k = key(user, deviceId);
      const cached = pendingCache.get(k);
      if (cached && now().getTime() - cached.at < PENDING_CACHE_MS) return cached.order;
      const doc = await read(user);
      const wipe = doc?.devices[deviceId]?.wipe ?? null;
      const order = wipe?.state === 'pending' ? wipe : null;
      bounded(pendingCache).set(k, { order, at: now().getTime() });
      return order;
    },

    async list(user) {
      const doc = await read(user);
      return Object.values(doc?.devices ?? {}).sort((a, b) => b.lastSeen.localeCompare(a.lastSeen));
    },

    async orderWipe(user, target: WipeTarget, orderedBy) {
      const orders: { deviceId: string; order: WipeOrder }[] = [];
      const at = now().toISOString();
      await update(user, (devices) => {
        orders.length = 0;
        const ids = target.kind === 'all' ? Object.keys(devices) : [target.deviceId];
        for (const deviceId of ids) {
          const known = devices[deviceId];
          if (!known) continue;
          // A second order for a device that has not confirmed the first is the same order.
          const order: WipeOrder =
            known.wipe?.state === 'pending'
              ? known.wipe
              : {
                  orderId: randomUUID(),
                  orderedAt: at,
                  orderedBy,
                  state: 'pending',
                  completedAt: null,
                };
          devices[deviceId] = { ...known, wipe: order };
          orders.push({ deviceId, order });
        }
        return orders.length > 0;
      });
      for (const { deviceId, order } of orders) {
        pendingCache.set(key(user, deviceId), { order, at: now().getTime() });
        deps.audit.record({
          action: 'device.wipe-ordered',
          user,
          deviceId,
          orderId: order.orderId,
          orderedBy,
        });
        for (const listener of orderListeners) listener(user, deviceId);
      }
      return orders.map(({ deviceId, order }) => ({ deviceId, ...order }));
    },

    async completeWipe(user, deviceId) {
      let completed: WipeOrder | null = null;
      const at = now().toISOString();
      await update(user, (devices) => {
        const known = devices[deviceId];
        if (known?.wipe?.state !== 'pending') return false;
        completed = { ...known.wipe, state: 'completed', completedAt: at };
        devices[deviceId] = { ...known, wipe: completed };
        return true;
      });
      pendingCache.set(key(user, deviceId), { order: null, at: now().getTime() });
      const done = completed as WipeOrder | null;
      if (done) {
        deps.audit.record({
          action: 'device.wipe-completed',
          user,
          deviceId,
          orderId: done.orderId,
        });
      }
      return done;
    },

    onOrder(listener) {
      orderListeners.add(listener);
      return () => orderListeners.delete(listener);
    },
  };
}
