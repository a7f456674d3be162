// What an administrator should read about one device now, derived from its record: a pure
// decision, so each case is tested. "Wiped" alone reads as "clean", which stops being true the
// moment the person signs in on that device again and the briefings download anew.
import type { DeviceRecord } from './types.js';

export type DeviceStatus =
  | { readonly kind: 'in-use' }
  | { readonly kind: 'wipe-pending'; readonly orderedAt: string; readonly orderedBy: string }
  | {
      readonly kind: 'wiped';
      readonly completedAt: string;
      readonly orderedAt: string;
      readonly orderedBy: string;
    }
  /** Wiped, then used again: it holds the person's briefings anew. */
  | {
      readonly kind: 'in-use-after-wipe';
      readonly completedAt: string;
      readonly orderedAt: string;
      readonly orderedBy: string;
    };

export function deviceStatus(device: DeviceRecord): DeviceStatus {
  const wipe = device.wipe;
  if (wipe === null) return { kind: 'in-use' };
  const { orderedAt, orderedBy } = wipe;
  if (wipe.state === 'pending' || wipe.completedAt === null) {
    return { kind: 'wipe-pending', orderedAt, orderedBy };
  }
  const completedAt = wipe.completedAt;
  // The broker records use after answering, so a device seen after the confirmation made
  // requests again: only a signed-in device does.
  return Date.parse(device.lastSeen) > Date.parse(completedAt)
    ? { kind: 'in-use-after-wipe', completedAt, orderedAt, orderedBy }
    : { kind: 'wiped', completedAt, orderedAt, orderedBy };
}

/** The status line under a device in `npm run devices -- list`, or null for an ordinary one. */
export function describeDeviceStatus(status: DeviceStatus): string | null {
  switch (status.kind) {
    case 'in-use':
      return null;
    case 'wipe-pending':
      return `wipe ordered ${status.orderedAt} by ${status.orderedBy}: waiting for the device`;
    case 'wiped':
      return `wiped ${status.completedAt} (ordered ${status.orderedAt} by ${status.orderedBy}); not used since`;
    case 'in-use-after-wipe':
      return `in use again: signed in after the wipe of ${status.completedAt} (ordered ${status.orderedAt} by ${status.orderedBy}), so it holds the briefings anew`;
  }
}
