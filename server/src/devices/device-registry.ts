// Which devices each person uses, and the wipe orders an administrator gave for them. Kept in
// the control database (service admin only) so that every broker instance and the ops endpoint
// see the same orders: one document per user (`devices:<hex of user id>`) listing their
// devices, updated by `_rev` compare-and-swap.
//
// An order targets one device id of one user. It applies to every request that device makes as
// that user until the device confirms the wipe; the confirmation completes it, and from then on
// the same device signs in like any other. An order for "all devices" is one order per device
// seen so far: a device first seen afterwards is not wiped.
//
// The confirmation must carry the order's one-time value, which the broker hands out only with
// the order itself (the 403 device_wipe answer): a confirmation sent without having received the
// order completes nothing. The value is an HMAC of the order under a key derived from the
// service secret, so no instance stores it, every instance computes the same one, and orders
// written before it existed have one too.
//
// The device list is bounded per user, and what a token holder can add must not push out what
// an administrator needs: a device with a pending order, or one seen recently, is never dropped
// to make room. When only such devices are left, a new device id is not recorded (audited).
import { createHmac, randomUUID } from 'node:crypto';
import { secretsEqual } from '../config/secret-files.js';
import { CONTROL_DB, ensureControlDb } from '../couch/control-db.js';
import type { CouchClient, CouchDoc } from '../couch/types.js';
import { CouchError } from '../couch/types.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { RefusalAggregator } from '../audit/refusal-aggregator.js';
import type {
  DeviceRecord,
  DeviceRegistry,
  WipeCompletion,
  WipeOrder,
  WipeTarget,
} from './types.js';

/** A device's lastSeen is written at most this often (every request would be a write otherwise). */
const SEEN_WRITE_INTERVAL_MS = 10 * 60_000;
/** How long a broker instance trusts what it read about pending orders. */
const PENDING_CACHE_MS = 5_000;
/** Devices remembered per user. */
export const MAX_DEVICES_PER_USER = 20;
/**
 * A device seen within this is never dropped for a new one: longer than the reader's longest
 * offline period (ATTACHE_MAX_OFFLINE_DAYS, 14 by default), so a laptop back from a long trip
 * is still on the list when someone needs to wipe it.
 */
export const KEEP_SEEN_WITHIN_MS = 30 * 24 * 60 * 60_000;
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

/** The key of wipe confirmations, derived from the service secret (shared by every instance). */
export function wipeConfirmationKey(serviceSecret: string): string {
  return createHmac('sha256', serviceSecret)
    .update('attache device wipe confirmation v1')
    .digest('hex');
}

export function createDeviceRegistry(deps: {
  readonly couch: CouchClient;
  readonly serviceAdminName: string;
  readonly audit: AuditLog;
  /** wipeConfirmationKey(service secret). */
  readonly confirmationKey: string;
  /** Repeated refusals (a device the full list cannot take) are counted, not recorded each. */
  readonly refusals?: RefusalAggregator;
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

  /**
   * Makes room for one more device if the list is full: drops the longest unseen one that has
   * no pending order and was not seen recently. False when every device must stay.
   */
  function makeRoom(devices: Record<string, DeviceRecord>, at: Date): boolean {
    const ids = Object.keys(devices);
    if (ids.length < MAX_DEVICES_PER_USER) return true;
    const keepAfter = at.getTime() - KEEP_SEEN_WITHIN_MS;
    const evictable = ids
      .filter((id) => {
        const device = devices[id];
        return device?.wipe?.state !== 'pending' && Date.parse(device?.lastSeen ?? '') < keepAfter;
      })
      .sort((a, b) => (devices[a]?.lastSeen ?? '').localeCompare(devices[b]?.lastSeen ?? ''));
    // Over the bound (a list from before it was enforced) is brought back under it, too.
    const excess = ids.length - MAX_DEVICES_PER_USER + 1;
    for (const id of evictable.slice(0, excess)) delete devices[id];
    return Object.keys(devices).length < MAX_DEVICES_PER_USER;
  }

  const confirmationOf = (user: string, deviceId: string, orderId: string): string =>
    createHmac('sha256', deps.confirmationKey)
      .update(`${user}\u0000${deviceId}\u0000${orderId}`)
      .digest('base64url');

  const matches = (given: string | null, expected: string): boolean =>
    given !== null && secretsEqual(given, expected);

  return {
    init,

    async seen(user, deviceId, label) {
      const at = now();
      const k = key(user, deviceId);
      const last = lastWritten.get(k);
      if (last !== undefined && at.getTime() - last < SEEN_WRITE_INTERVAL_MS) return;
      bounded(lastWritten).set(k, at.getTime());
      let full = false;
      await update(user, (devices) => {
        const known = devices[deviceId];
        full = !known && !makeRoom(devices, at);
        if (full) return false;
        devices[deviceId] = {
          deviceId,
          label,
          firstSeen: known?.firstSeen ?? at.toISOString(),
          lastSeen: at.toISOString(),
          wipe: known?.wipe ?? null,
        };
        return true;
      });
      if (full) {
        const entry = {
          action: 'device.not-recorded',
          user,
          deviceId,
          decision: 'refused' as const,
          reason: `the user's ${MAX_DEVICES_PER_USER} devices on record all have a pending wipe order or were seen in the last ${KEEP_SEEN_WITHIN_MS / 86_400_000} days`,
        };
        if (deps.refusals) deps.refusals.record(`device-list-full\u0000${user}`, entry);
        else deps.audit.record(entry);
      }
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

    confirmationOf,

    async completeWipe(user, deviceId, confirmation) {
      let outcome: WipeCompletion = { kind: 'none-pending' };
      const at = now().toISOString();
      await update(user, (devices) => {
        const known = devices[deviceId];
        if (known?.wipe?.state !== 'pending') {
          outcome = { kind: 'none-pending' };
          return false;
        }
        if (!matches(confirmation, confirmationOf(user, deviceId, known.wipe.orderId))) {
          outcome = { kind: 'not-confirmed', order: known.wipe };
          return false;
        }
        const completed: WipeOrder = { ...known.wipe, state: 'completed', completedAt: at };
        devices[deviceId] = { ...known, wipe: completed };
        outcome = { kind: 'completed', order: completed };
        return true;
      });
      const result = outcome as WipeCompletion;
      if (result.kind === 'not-confirmed') return result;
      pendingCache.set(key(user, deviceId), { order: null, at: now().getTime() });
      if (result.kind === 'completed') {
        // The first use after the wipe (the person signing in again, often minutes later) is
        // recorded at once, not up to SEEN_WRITE_INTERVAL_MS later: until it is, `devices list`
        // says "wiped, not used since" of a device that holds the briefings anew.
        lastWritten.delete(key(user, deviceId));
        deps.audit.record({
          action: 'device.wipe-completed',
          user,
          deviceId,
          orderId: result.order.orderId,
        });
      }
      return result;
    },

    onOrder(listener) {
      orderListeners.add(listener);
      return () => orderListeners.delete(listener);
    },
  };
}
