// The administrator's devices CLI: a thin client of the ops server's device endpoints
// (device-admin.ts), so that a service desk wipes a lost laptop with one command instead of
// hand-written HTTP. It names mistakes in its own terms (its options, where it found the token).
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_PORTS, DEVICE_ID_PATTERN } from '../../../src/shared/protocol.js';
import { adminTokenFile } from '../http/admin-token.js';
import { CliError, osReason } from '../cli/cli-error.js';
import { parseCommandLine } from '../cli/parse-command-line.js';
import { describeDeviceStatus, deviceStatus } from './device-status.js';
import type { DeviceRecord, WipeOrder } from './types.js';

const RUN = 'npm run devices --';
const DEFAULT_DATA_DIR = '.data/server';

const USAGE = `Attaché devices: a person's devices and remote wipe

Usage:
  ${RUN} list <user>                          the user's devices, most recently seen first
  ${RUN} wipe <user> <device id> --by <who>   erase Attaché's copy on that device
  ${RUN} wipe <user> --all --by <who>         on every device of the user seen so far

A wiped device erases the person's briefings, notes and sign-in the next time it reaches the
server (at once when it is online), then shows the sign-in screen with the reason. --by names
who ordered it (you, the ticket); it goes into the audit trail. A wipe does not stop the
person signing in again: revoke their sign-in at the identity provider for that.

Connection (flags or environment):
  --url <url>          ATTACHE_OPS_URL, default http://127.0.0.1:$ATTACHE_OPS_PORT (${DEFAULT_PORTS.ops})
  --token <token>      ATTACHE_ADMIN_TOKEN
  --token-file <file>  default $ATTACHE_DATA_DIR/secrets/admin-token ($ATTACHE_DATA_DIR: ${DEFAULT_DATA_DIR})
  --json               print the raw JSON response`;

export type DevicesCliDeps = {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof fetch;
  readonly out: (text: string) => void;
};

const OPTIONS = {
  all: { type: 'boolean' },
  by: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof OPTIONS>>['values'];

function adminToken(values: Values, env: DevicesCliDeps['env']) {
  if (values.token !== undefined) return values.token.trim();
  if (env['ATTACHE_ADMIN_TOKEN']) return env['ATTACHE_ADMIN_TOKEN'].trim();
  const file = path.resolve(
    values['token-file'] ??
      adminTokenFile(path.resolve(env['ATTACHE_DATA_DIR'] ?? DEFAULT_DATA_DIR)),
  );
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new CliError(
      `No admin token: cannot read ${file} (${osReason(error)}). Pass --token-file <server data folder>/secrets/admin-token, set ATTACHE_DATA_DIR to the server's data folder, or pass the token with --token or ATTACHE_ADMIN_TOKEN.`,
    );
  }
}

function describe(device: DeviceRecord): string {
  const status = describeDeviceStatus(deviceStatus(device));
  return `${device.deviceId}  ${device.label || '(no name)'}\n    first seen ${device.firstSeen}, last seen ${device.lastSeen}${status ? `\n    ${status}` : ''}`;
}

/** How often the broker records use (device-registry.ts): a last seen may be that old. */
const LAST_SEEN_NOTE = '(last seen is recorded at most every 10 minutes)';

/** Runs one command line. Throws CliError for anything the person can fix. */
export async function runDevicesCli(argv: readonly string[], deps: DevicesCliDeps): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, `${RUN} --help`);
  const [command, user, deviceId] = positionals;
  if (values.help || command === undefined || command === 'help') {
    deps.out(USAGE);
    return;
  }
  if (command !== 'list' && command !== 'wipe') {
    throw new CliError(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
  }
  if (!user) throw new CliError(`${command} needs a user id (see \`${RUN} --help\`).`);
  let body: Record<string, unknown> | undefined;
  if (command === 'wipe') {
    if ((deviceId === undefined) === (values.all !== true)) {
      throw new CliError(
        `wipe needs either one device id or --all, not both and not neither (\`${RUN} list ${user}\` shows the ids).`,
      );
    }
    if (deviceId !== undefined && !DEVICE_ID_PATTERN.test(deviceId)) {
      throw new CliError(
        `${JSON.stringify(deviceId)} is not a device id (\`${RUN} list ${user}\` shows them).`,
      );
    }
    const by = values.by?.trim();
    if (!by) {
      throw new CliError(
        'wipe needs --by <who>: your name and the ticket, for the audit trail (e.g. --by "J. Smith, INC-4711").',
      );
    }
    body = { user, ...(deviceId ? { deviceId } : { all: true }), orderedBy: by };
  }

  const base = (
    values.url ??
    deps.env['ATTACHE_OPS_URL'] ??
    `http://127.0.0.1:${deps.env['ATTACHE_OPS_PORT'] ?? DEFAULT_PORTS.ops}`
  ).replace(/\/+$/, '');
  const route = command === 'list' ? `/devices?user=${encodeURIComponent(user)}` : '/devices/wipe';
  let res: Response;
  try {
    res = await deps.fetch(`${base}${route}`, {
      method: command === 'list' ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${adminToken(values, deps.env)}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    const cause = (error as { cause?: unknown }).cause;
    throw new CliError(
      `Cannot reach the Attaché server's ops endpoint at ${base} (${osReason(cause ?? error)}). Is the server running? Set --url or ATTACHE_OPS_URL / ATTACHE_OPS_PORT if it listens elsewhere.`,
    );
  }
  const payload = (await res.json().catch(() => ({}))) as {
    message?: string;
    devices?: DeviceRecord[];
    orders?: (WipeOrder & { deviceId: string })[];
  };
  if (res.status === 401) {
    throw new CliError(
      `The server at ${base} refused the admin token. Use the token of that server: <its data folder>/secrets/admin-token (--token-file, ATTACHE_DATA_DIR, --token or ATTACHE_ADMIN_TOKEN).`,
    );
  }
  if (res.status === 404 && command === 'wipe') {
    throw new CliError(
      `${payload.message ?? 'No such device.'} \`${RUN} list ${user}\` shows the devices the server has seen for ${user}.`,
    );
  }
  if (!res.ok) {
    throw new CliError(
      `The server refused this: ${payload.message ?? `${res.status} ${res.statusText}`}`,
    );
  }
  if (values.json) {
    deps.out(JSON.stringify(payload, null, 2));
    return;
  }
  if (command === 'list') {
    const devices = payload.devices ?? [];
    deps.out(
      devices.length === 0
        ? `No device on record for ${user}: a device is recorded when it first syncs.`
        : `${devices.map(describe).join('\n')}\n${LAST_SEEN_NOTE}`,
    );
    return;
  }
  const orders = payload.orders ?? [];
  deps.out(
    `Wipe ordered for ${orders.length} device${orders.length === 1 ? '' : 's'} of ${user}: ${orders
      .map((o) => o.deviceId)
      .join(
        ', ',
      )}.\nEach erases Attaché's copy the next time it reaches the server; \`${RUN} list ${user}\` shows when it has.`,
  );
}
