// The devices CLI against a real server: a device that synced once is listed, a wipe ordered
// through the CLI reaches the broker (the device's next request gets the wipe answer) and the
// audit trail, and mistakes are named in the CLI's own terms.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDevicesCli } from '../../../server/src/devices/devices-cli.js';
import { CliError } from '../../../server/src/cli/cli-error.js';
import {
  DEVICE_ID_HEADER,
  DEVICE_LABEL_HEADER,
  DEVICE_WIPE_CONFIRMATION_HEADER,
  DEVICE_WIPE_CONFIRMATION_PATTERN,
  DEVICE_WIPE_DONE_PATH,
  DEVICE_WIPE_ERROR,
} from '../../../src/shared/protocol.js';
import type { Harness } from './server-harness.js';
import { startHarness } from './server-harness.js';

const USER = 'alex.morgan';

let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false });
  env = { ATTACHE_OPS_URL: h.server.urls.ops, ATTACHE_DATA_DIR: h.dataDir };
});

afterAll(async () => {
  await h?.stop();
});

async function cli(...argv: string[]): Promise<string> {
  const lines: string[] = [];
  await runDevicesCli(argv, { env, fetch: globalThis.fetch, out: (text) => lines.push(text) });
  return lines.join('\n');
}

/** One request from a device through the broker, as the reader's sync makes it. */
async function fromDevice(deviceId: string, label: string) {
  const response = await fetch(`${h.server.urls.broker}/db/briefings`, {
    headers: {
      authorization: `Bearer ${await h.devToken(USER)}`,
      [DEVICE_ID_HEADER]: deviceId,
      [DEVICE_LABEL_HEADER]: encodeURIComponent(label),
    },
  });
  return { status: response.status, body: (await response.json()) as { error?: string } };
}

/** The device's own lines in `list`: its id and label, seen times and status line, if any. */
function entryOf(listing: string, deviceId: string): string {
  const start = listing.indexOf(`${deviceId}  `);
  if (start < 0) throw new Error(`${deviceId} is not listed:\n${listing}`);
  const lines = listing.slice(start).split('\n');
  const own = lines.slice(1).findIndex((line) => !line.startsWith('    '));
  return lines.slice(0, own < 0 ? lines.length : own + 1).join('\n');
}

describe('npm run devices', () => {
  it('lists a device once it has synced, orders its wipe, and the broker applies the order', async () => {
    expect(await cli('list', USER)).toContain(`No device on record for ${USER}`);

    const laptop = randomUUID();
    const tablet = randomUUID();
    expect((await fromDevice(laptop, 'Minister’s laptop')).status).toBe(200);
    expect((await fromDevice(tablet, 'Tablet')).status).toBe(200);
    // The broker records a device after answering it (the write is not on the request's path).
    await expect.poll(() => cli('list', USER)).toContain(`${tablet}  Tablet`);
    expect(await cli('list', USER)).toContain(`${laptop}  Minister’s laptop`);

    const ordered = await cli('wipe', USER, laptop, '--by', 'J. Smith, INC-4711');
    expect(ordered).toContain(`Wipe ordered for 1 device of ${USER}: ${laptop}.`);
    expect(await cli('list', USER)).toMatch(
      new RegExp(`${laptop}[^\\n]*\\n[^\\n]*\\n\\s+wipe ordered \\S+ by J\\. Smith, INC-4711`),
    );

    // The laptop's next request is answered with the order (and its one-time value for the
    // confirmation); the tablet syncs on.
    expect(await fromDevice(laptop, 'Minister’s laptop')).toEqual({
      status: 403,
      body: {
        error: DEVICE_WIPE_ERROR,
        confirmation: expect.stringMatching(DEVICE_WIPE_CONFIRMATION_PATTERN) as unknown,
      },
    });
    expect((await fromDevice(tablet, 'Tablet')).status).toBe(200);
    const trail = fs.readFileSync(h.server.files.auditLog, 'utf8');
    expect(trail).toMatch(
      new RegExp(
        `"action":"device.wipe-ordered","user":"${USER}","deviceId":"${laptop}"[^\\n]*"orderedBy":"J. Smith, INC-4711"`,
      ),
    );

    const json = JSON.parse(await cli('list', USER, '--json')) as {
      devices: { deviceId: string; wipe: { state: string } | null }[];
    };
    expect(json.devices.find((d) => d.deviceId === laptop)?.wipe?.state).toBe('pending');
    expect(json.devices.find((d) => d.deviceId === tablet)?.wipe).toBeNull();
  });

  it('lists a wiped device that was signed in to again as in use again, not as wiped', async () => {
    const laptop = randomUUID();
    expect((await fromDevice(laptop, 'Laptop')).status).toBe(200);
    await expect.poll(() => cli('list', USER)).toContain(`${laptop}  Laptop`);
    await cli('wipe', USER, laptop, '--by', 'J. Smith, INC-4711');

    // The device gets the order, erases, and confirms with the order's one-time value.
    const order = await fromDevice(laptop, 'Laptop');
    expect(order.body.error).toBe(DEVICE_WIPE_ERROR);
    const confirmation = (order.body as { confirmation: string }).confirmation;
    const done = await fetch(`${h.server.urls.broker}${DEVICE_WIPE_DONE_PATH}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await h.devToken(USER)}`,
        [DEVICE_ID_HEADER]: laptop,
        [DEVICE_WIPE_CONFIRMATION_HEADER]: confirmation,
      },
    });
    expect(done.status).toBe(200);
    expect(entryOf(await cli('list', USER), laptop)).toMatch(
      /\n {4}wiped \S+ \(ordered \S+ by J\. Smith, INC-4711\); not used since$/,
    );

    // The person signs in on the laptop again, minutes later, and it downloads everything anew:
    // the list says so at once, not "wiped" (which an administrator reads as "clean").
    expect((await fromDevice(laptop, 'Laptop')).status).toBe(200);
    await expect
      .poll(async () => entryOf(await cli('list', USER), laptop))
      .toMatch(
        /\n {4}in use again: signed in after the wipe of \S+ \(ordered \S+ by J\. Smith, INC-4711\), so it holds the briefings anew$/,
      );
    expect(entryOf(await cli('list', USER), laptop)).not.toMatch(/\n {4}wiped /);
  });

  it('keeps control and direction characters out of a device label', async () => {
    const id = randomUUID();
    // A terminal escape (CSI, U+009B), a right-to-left override and a line separator.
    expect((await fromDevice(id, 'Lap\u202etop\u009b2J\u2028 7')).status).toBe(200);
    await expect.poll(() => cli('list', USER)).toContain(`${id}  Laptop2J 7`);
  });

  it.each([
    [['wipe', USER, '--by', 'x'], 'wipe needs either one device id or --all'],
    [
      ['wipe', USER, randomUUID(), '--all', '--by', 'x'],
      'wipe needs either one device id or --all',
    ],
    [['wipe', USER, randomUUID()], 'wipe needs --by <who>'],
    [['wipe', USER, 'laptop-1', '--by', 'x'], '"laptop-1" is not a device id'],
    [['wipe', USER, randomUUID(), '--by', 'x'], 'This user has no device with that id.'],
    [['list'], 'list needs a user id'],
    [['erase', USER], 'Unknown command "erase"'],
  ])('refuses %j with an actionable message', async (argv, message) => {
    const error = await cli(...argv).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toContain(message);
  });

  it('names where the token came from when the server refuses it, and a server it cannot reach', async () => {
    const refused = await runDevicesCli(['list', USER, '--token', 'not-the-token'], {
      env,
      fetch: globalThis.fetch,
      out: () => undefined,
    }).catch((e: unknown) => e);
    expect((refused as Error).message).toContain('refused the admin token');

    const unreachable = await runDevicesCli(['list', USER, '--url', 'http://127.0.0.1:9'], {
      env,
      fetch: globalThis.fetch,
      out: () => undefined,
    }).catch((e: unknown) => e);
    expect((unreachable as Error).message).toContain(
      "Cannot reach the Attaché server's ops endpoint at http://127.0.0.1:9",
    );
  });
});
