// The administrator's device endpoints, served by the ops server behind the admin token:
//   GET  /devices?user=<id>                         the user's devices and their wipe orders
//   POST /devices/wipe {user, deviceId | all: true, orderedBy?}   orders a remote wipe
// "all" is explicit so that a missing device id can never wipe every device by accident.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { DEVICE_ID_PATTERN } from '../../../src/shared/protocol.js';
import { userIdProblem } from '../user-dbs/user-dbs.js';
import { BodyError, readJsonBody, sendJson } from '../http/json-http.js';
import type { AdminAudit } from '../audit/admin-audit.js';
import { createLogger } from '../observability/logger.js';
import type { DeviceRegistry } from './types.js';

const log = createLogger('devices');

export const DEVICES_PATH = '/devices';
export const DEVICES_WIPE_PATH = '/devices/wipe';

const userSchema = z.string().refine((id) => userIdProblem(id) === null, {
  error: 'not a valid user id',
});

const wipeSchema = z
  .object({
    user: userSchema,
    deviceId: z.string().regex(DEVICE_ID_PATTERN, { error: 'not a device id' }).optional(),
    all: z.literal(true).optional(),
    orderedBy: z.string().trim().min(1).max(200).default('administrator'),
  })
  .strict()
  .refine((input) => (input.deviceId === undefined) !== (input.all === undefined), {
    error: 'name one device ("deviceId") or all the user’s devices ("all": true)',
  });

/** Answers a device route; false when the path is not one. The caller checked the admin token. */
export async function handleDeviceAdmin(
  devices: DeviceRegistry,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  audit?: AdminAudit,
): Promise<boolean> {
  const badRequest = (problems: readonly string[]): void => {
    const message = problems.join('; ');
    audit?.refused(req, 400, message);
    sendJson(res, 400, { error: 'bad_request', message });
  };
  if (url.pathname === DEVICES_PATH && req.method === 'GET') {
    const user = userSchema.safeParse(url.searchParams.get('user') ?? '');
    if (!user.success) {
      badRequest(['Send ?user=<user id>.']);
      return true;
    }
    const found = await devices.list(user.data);
    audit?.allowed(req, 'devices listed', { user: user.data, devices: found.length });
    sendJson(res, 200, { user: user.data, devices: found });
    return true;
  }
  if (url.pathname === DEVICES_WIPE_PATH && req.method === 'POST') {
    let body: unknown;
    try {
      body = await readJsonBody(req, 64 * 1024);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      badRequest([error.message]);
      return true;
    }
    const input = wipeSchema.safeParse(body);
    if (!input.success) {
      badRequest(
        input.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ` : '') + i.message),
      );
      return true;
    }
    const { user, deviceId, orderedBy } = input.data;
    const orders = await devices.orderWipe(
      user,
      deviceId === undefined ? { kind: 'all' } : { kind: 'device', deviceId },
      orderedBy,
    );
    if (orders.length === 0) {
      const message =
        deviceId === undefined
          ? 'This user has no device on record.'
          : 'This user has no device with that id.';
      audit?.refused(req, 404, message, { user, ...(deviceId ? { deviceId } : {}) });
      sendJson(res, 404, { error: 'not_found', message });
      return true;
    }
    log.warn({ user, devices: orders.length, orderedBy }, 'remote wipe ordered');
    audit?.allowed(req, 'wipe ordered', {
      user,
      deviceIds: orders.map((o) => o.deviceId),
      orderedBy,
    });
    sendJson(res, 200, { user, orders });
    return true;
  }
  return false;
}
