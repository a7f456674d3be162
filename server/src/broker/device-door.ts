// The device step of the broker's pipeline, after the user is known and before what is asked is
// judged. A device with a pending wipe order gets one answer to everything it asks (403
// device_wipe, with the order's one-time value) except its confirmation that the wipe is done;
// other devices are recorded as seen, and their open responses are tracked so that an order
// given through this process ends the device's live feeds at once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEVICE_WIPE_DONE_PATH, DEVICE_WIPE_ERROR } from '../../../src/shared/protocol.js';
import type { DeviceRegistry } from '../devices/types.js';
import { sendJson } from '../http/json-http.js';
import { createLogger, describeError } from '../observability/logger.js';
import { userIdProblem } from '../user-dbs/user-dbs.js';
import type { Audited, BrokerAnswers } from './broker-answers.js';
import { deviceOf, wipeConfirmationOf } from './broker-request.js';

const log = createLogger('broker');

export type DeviceDoor = {
  /**
   * Judges the device a request names. True when the request was answered here (refused, a
   * wipe order, a wipe confirmation); false when the pipeline goes on.
   */
  readonly admit: (
    req: IncomingMessage,
    res: ServerResponse,
    audited: Audited,
    user: string,
    rawPath: string,
  ) => Promise<boolean>;
  /** Stops ending feeds on orders (the server closed). */
  readonly close: () => void;
};

export function createDeviceDoor(deps: {
  /** Devices seen and wipe orders; without it, device headers are ignored. */
  readonly devices?: DeviceRegistry;
  readonly answers: BrokerAnswers;
}): DeviceDoor {
  const { devices, answers } = deps;
  /** Open responses per user and device, ended when that device is ordered wiped. */
  const openByDevice = new Map<string, Set<ServerResponse>>();
  const deviceKey = (user: string, deviceId: string) => `${user}\u0000${deviceId}`;

  // An order given through this process ends the device's open feeds at once, so its next
  // request (PouchDB retries) gets the order; other instances see it within their cache time
  // or when the feed times out.
  const offOrder = devices?.onOrder((user, deviceId) => {
    for (const res of openByDevice.get(deviceKey(user, deviceId)) ?? []) res.destroy();
  });

  const track = (res: ServerResponse, user: string, deviceId: string): void => {
    const k = deviceKey(user, deviceId);
    const set = openByDevice.get(k) ?? new Set<ServerResponse>();
    openByDevice.set(k, set);
    set.add(res);
    res.on('close', () => {
      set.delete(res);
      if (set.size === 0 && openByDevice.get(k) === set) openByDevice.delete(k);
    });
  };

  const admit: DeviceDoor['admit'] = async (req, res, audited, user, rawPath) => {
    const method = audited.entry.method;
    const device = deviceOf(req);
    if (device === 'invalid') {
      answers.refuse(res, audited, 400, 'malformed device id');
      return true;
    }
    if (!device || !devices) {
      if (rawPath !== DEVICE_WIPE_DONE_PATH) return false;
      answers.refuse(res, audited, 400, 'wipe confirmation without a device id');
      return true;
    }
    audited.entry = { ...audited.entry, deviceId: device.id };
    // Nothing is recorded for a user the broker would refuse anyway.
    const userProblem = userIdProblem(user);
    if (userProblem) {
      answers.refuse(res, audited, 403, `user claim ${userProblem}`);
      return true;
    }
    if (rawPath === DEVICE_WIPE_DONE_PATH) {
      if (method !== 'POST') {
        answers.refuse(res, audited, 403, 'wipe confirmation not POST');
        return true;
      }
      // Only the order's one-time value completes it: the broker hands it out with the order.
      const done = await devices.completeWipe(user, device.id, wipeConfirmationOf(req));
      if (done.kind === 'not-confirmed') {
        audited.entry = { ...audited.entry, orderId: done.order.orderId };
        answers.refuse(res, audited, 403, 'wipe confirmation without the order’s one-time value');
        return true;
      }
      answers.allowed(
        audited,
        done.kind === 'completed' ? 'wipe confirmed' : 'wipe confirmed, none pending',
        200,
      );
      sendJson(res, 200, { ok: true });
      return true;
    }
    const order = await devices.pendingWipe(user, device.id);
    if (order) {
      answers.wipeOrdered(res, audited, order.orderId, {
        error: DEVICE_WIPE_ERROR,
        confirmation: devices.confirmationOf(user, device.id, order.orderId),
      });
      return true;
    }
    devices.seen(user, device.id, device.label).catch((error: unknown) => {
      log.warn({ err: describeError(error), user }, 'could not record the device as seen');
    });
    track(res, user, device.id);
    return false;
  };

  return { admit, close: () => offOrder?.() };
}
