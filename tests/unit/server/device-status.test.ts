import { describe, expect, it } from 'vitest';
import { describeDeviceStatus, deviceStatus } from '../../../server/src/devices/device-status.js';
import type { DeviceRecord, WipeOrder } from '../../../server/src/devices/types.js';

const order = (over: Partial<WipeOrder> = {}): WipeOrder => ({
  orderId: 'o-1',
  orderedAt: '2026-03-01T09:00:00.000Z',
  orderedBy: 'J. Smith, INC-4711',
  state: 'completed',
  completedAt: '2026-03-01T09:05:00.000Z',
  ...over,
});

const device = (lastSeen: string, wipe: WipeOrder | null): DeviceRecord => ({
  deviceId: '3b0c5a4e-8f0a-4c59-9a43-5f1c7f3a2d10',
  label: 'Laptop',
  firstSeen: '2026-02-01T08:00:00.000Z',
  lastSeen,
  wipe,
});

describe('what the devices list says about a device now', () => {
  it('says nothing more for a device never ordered wiped', () => {
    const status = deviceStatus(device('2026-03-01T08:00:00.000Z', null));
    expect(status).toEqual({ kind: 'in-use' });
    expect(describeDeviceStatus(status)).toBeNull();
  });

  it('says a pending order waits for the device', () => {
    const status = deviceStatus(
      device('2026-03-01T08:00:00.000Z', order({ state: 'pending', completedAt: null })),
    );
    expect(describeDeviceStatus(status)).toBe(
      'wipe ordered 2026-03-01T09:00:00.000Z by J. Smith, INC-4711: waiting for the device',
    );
  });

  it('says wiped, and not used since, while nothing was seen after the confirmation', () => {
    for (const lastSeen of ['2026-03-01T08:59:00.000Z', '2026-03-01T09:05:00.000Z']) {
      expect(describeDeviceStatus(deviceStatus(device(lastSeen, order())))).toBe(
        'wiped 2026-03-01T09:05:00.000Z (ordered 2026-03-01T09:00:00.000Z by J. Smith, INC-4711); not used since',
      );
    }
  });

  it('says a device used after its wipe is in use again, holding the briefings anew, not "wiped"', () => {
    const status = deviceStatus(device('2026-03-02T07:30:00.000Z', order()));
    expect(status.kind).toBe('in-use-after-wipe');
    const line = describeDeviceStatus(status) ?? '';
    expect(line).toMatch(/^in use again: signed in after the wipe of 2026-03-01T09:05:00\.000Z/);
    expect(line).toContain('holds the briefings anew');
    expect(line).not.toMatch(/^wiped/);
  });
});
