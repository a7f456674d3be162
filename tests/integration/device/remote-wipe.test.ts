// Remote wipe end to end: the real embedded server (broker, control database, ops endpoint,
// audit trail) and two real devices of the same person (browser hosts, msal-node, gnome-keyring,
// encrypted LevelDB stores). An administrator orders one device wiped: that device erases the
// person's data and sign-in and confirms; the other keeps everything and keeps syncing.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import keytar from 'keytar';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/src/config/config-schema.js';
import type { RunningServer } from '../../../server/src/server.js';
import { startServer } from '../../../server/src/server.js';
import type { RunningHost } from '../../../src/host/host.js';
import { startHost } from '../../../src/host/host.js';
import { deviceIdFile } from '../../../src/main/device/device-identity.js';
import { createLogger } from '../../../src/main/logging/logger.js';
import { createKeytarKeychain } from '../../../src/main/secrets/keychain.keytar.js';
import { keychainServiceFor } from '../../../src/main/secrets/keychain-service.js';
import { SECRET_NAMES } from '../../../src/main/secrets/types.js';
import type { BriefingPage, BriefingSummary } from '../../../src/shared/ipc.js';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { tempDir } from '../../unit/device/fixtures.js';
import {
  clearDeviceKeychain,
  launchBrowser,
  realDeviceAuth,
  signInThroughBrowser,
  until,
} from './device-sign-in.js';

const TIMEOUT_MS = 120_000;
const logger = createLogger('wipe-it', () => undefined);

type Device = {
  readonly dir: Awaited<ReturnType<typeof tempDir>>;
  host: RunningHost;
  readonly id: string;
};

describe('remote wipe of one device', () => {
  let serverDir: Awaited<ReturnType<typeof tempDir>>;
  let webDir: Awaited<ReturnType<typeof tempDir>>;
  let server: RunningServer;
  let browser: Browser;
  let adminToken: string;
  let issuer: string;
  let caFile: string;
  const devices: Device[] = [];

  const ops = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.urls.ops}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const audit = async (): Promise<Record<string, unknown>[]> =>
    (await readFile(server.files.auditLog, 'utf8'))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  const list = async (host: RunningHost): Promise<readonly BriefingSummary[]> => {
    const result = await host.services.dispatch('briefings:list', { limit: 500 });
    return result.ok ? (result.value as BriefingPage).items : [];
  };

  const keychainEntries = async (dir: string) => keytar.findCredentials(keychainServiceFor(dir));

  const openDevice = async (): Promise<Device> => {
    const dir = await tempDir('it-wipe-device');
    const host = await startHost({
      dataDir: dir.path,
      brokerUrl: server.urls.broker,
      auth: await realDeviceAuth({ dataDir: dir.path, issuer, caFile, logger }),
      port: 0,
      staticDir: webDir.path,
      logger,
      sync: { backOff: { initialMs: 200, maxMs: 1_000 } },
    });
    const id = (await readFile(deviceIdFile(dir.path), 'utf8')).trim();
    const device = { dir, host, id };
    devices.push(device);
    return device;
  };

  beforeAll(async () => {
    serverDir = await tempDir('it-wipe-server');
    webDir = await tempDir('it-wipe-web');
    server = await startServer(
      parseConfig({
        dataDir: serverDir.path,
        sorPort: 0,
        brokerPort: 0,
        opsPort: 0,
        logLevel: 'warn',
        pollIntervalMs: 200,
        fanoutIdleMs: 50,
        idpPort: 0,
      }),
    );
    issuer = server.urls.idp ?? '';
    caFile = server.files.devCa ?? '';
    adminToken = (await readFile(server.files.adminToken, 'utf8')).trim();
    browser = await launchBrowser();
  }, TIMEOUT_MS);

  afterAll(async () => {
    for (const device of devices) {
      await device.host.stop();
      await clearDeviceKeychain(device.dir.path);
      await device.dir.remove();
    }
    await browser?.close();
    await server?.stop();
    await serverDir?.remove();
    await webDir?.remove();
  }, TIMEOUT_MS);

  it(
    'erases the targeted synced device, records the order as completed, and leaves the other device alone',
    async () => {
      const laptop = await openDevice();
      const tablet = await openDevice();
      expect(laptop.id).not.toBe(tablet.id);
      for (const device of [laptop, tablet]) {
        await signInThroughBrowser(device.host, browser, SAMPLE_USER.id);
        await until('briefings synced', async () => (await list(device.host)).length >= 20);
      }
      const synced = (await list(tablet.host)).length;

      // The broker has seen both devices of the person.
      const seen = await until('both devices on record', async () => {
        const reply = await ops('GET', `/devices?user=${SAMPLE_USER.id}`);
        const found = reply.body['devices'] as { deviceId: string; label: string }[];
        return found.length === 2 ? found : null;
      });
      expect(seen.map((d) => d.deviceId).sort()).toEqual([laptop.id, tablet.id].sort());
      expect(seen[0]?.label).not.toBe('');

      expect((await keychainEntries(laptop.dir.path)).length).toBeGreaterThan(0);
      const laptopStore = laptop.host.services.workspace()?.location;
      if (!laptopStore) throw new Error('the laptop has no open store');
      expect(existsSync(laptopStore)).toBe(true);

      const ordered = await ops('POST', '/devices/wipe', {
        user: SAMPLE_USER.id,
        deviceId: laptop.id,
        orderedBy: 'it-service-desk',
      });
      expect(ordered.status).toBe(200);
      const orderId = (ordered.body['orders'] as { orderId: string }[])[0]?.orderId;
      expect(orderId).toBeTruthy();

      // The laptop: signed out with the wipe notice, no store folder, nothing in the keychain.
      await until('the laptop wiped', () => {
        const session = laptop.host.services.session();
        return Promise.resolve(
          session.state === 'signed-out' && session.signedOutReason === 'device-wiped',
        );
      });
      expect(existsSync(laptopStore)).toBe(false);
      expect(await readdir(join(laptop.dir.path, 'users'))).toEqual([]);
      // The session ends before the host has removed the sign-in from the keychain. Listing the
      // keychain while an item is being deleted can crash the process (node-keytar #477), so
      // first wait, by name (through the adapter's queue), until both sign-in secrets are gone.
      const named = createKeytarKeychain({ service: keychainServiceFor(laptop.dir.path) });
      await until('the sign-in removed from the keychain', async () =>
        (await named.get(SECRET_NAMES.msalTokenCache)) === null &&
        (await named.get(SECRET_NAMES.session)) === null
          ? true
          : null,
      );
      expect(await keychainEntries(laptop.dir.path)).toEqual([]);

      // The audit trail: the order, the broker's refusal naming it, and the confirmation.
      const trail = await until('the confirmation audited', async () => {
        const records = await audit();
        return records.some((r) => r['action'] === 'device.wipe-completed') ? records : null;
      });
      expect(trail).toContainEqual(
        expect.objectContaining({
          action: 'device.wipe-ordered',
          user: SAMPLE_USER.id,
          deviceId: laptop.id,
          orderId,
          orderedBy: 'it-service-desk',
        }),
      );
      expect(trail).toContainEqual(
        expect.objectContaining({
          action: 'broker.request',
          decision: 'refused',
          reason: 'device wipe ordered',
          deviceId: laptop.id,
          orderId,
        }),
      );
      expect(trail).toContainEqual(
        expect.objectContaining({
          action: 'device.wipe-completed',
          user: SAMPLE_USER.id,
          deviceId: laptop.id,
          orderId,
        }),
      );
      const record = (
        (await ops('GET', `/devices?user=${SAMPLE_USER.id}`)).body['devices'] as {
          deviceId: string;
          wipe: { state: string } | null;
        }[]
      ).find((d) => d.deviceId === laptop.id);
      expect(record?.wipe?.state).toBe('completed');

      // The tablet: still signed in, its store and keys in place, still syncing.
      expect(tablet.host.services.session().state).toBe('signed-in');
      expect(existsSync(tablet.host.services.workspace()?.location ?? '')).toBe(true);
      expect((await keychainEntries(tablet.dir.path)).length).toBeGreaterThan(0);
      expect((await list(tablet.host)).length).toBe(synced);
      expect(trail).not.toContainEqual(
        expect.objectContaining({ reason: 'device wipe ordered', deviceId: tablet.id }),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'lets the person sign in again on the wiped device: the completed order no longer applies',
    async () => {
      const laptop = devices[0];
      if (!laptop) throw new Error('the first test did not run');
      expect(laptop.host.services.session().signedOutReason).toBe('device-wiped');
      await signInThroughBrowser(laptop.host, browser, SAMPLE_USER.id);
      await until('briefings downloaded again', async () => (await list(laptop.host)).length >= 20);
      expect(laptop.host.services.session().signedOutReason).toBeNull();
      await until('up to date', () =>
        Promise.resolve(laptop.host.services.syncStatus().state === 'up-to-date'),
      );
    },
    TIMEOUT_MS,
  );
});
