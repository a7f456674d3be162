import { readdir, readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  deviceHeaders,
  deviceIdFile,
  loadOrCreateDeviceIdentity,
} from '../../../src/main/device/device-identity.js';
import { DEVICE_ID_PATTERN } from '../../../src/shared/protocol.js';
import { tempDir } from './fixtures.js';

describe('device identity', () => {
  it('makes a random id on first run and keeps it across runs', async () => {
    const dir = await tempDir('device-id');
    try {
      const first = await loadOrCreateDeviceIdentity(dir.path, () => 'alex-laptop');
      expect(first.id).toMatch(DEVICE_ID_PATTERN);
      expect(first.label).toBe('alex-laptop');
      const again = await loadOrCreateDeviceIdentity(dir.path, () => 'alex-laptop');
      expect(again.id).toBe(first.id);
      expect((await readFile(deviceIdFile(dir.path), 'utf8')).trim()).toBe(first.id);
      const other = await tempDir('device-id-other');
      try {
        expect((await loadOrCreateDeviceIdentity(other.path)).id).not.toBe(first.id);
      } finally {
        await other.remove();
      }
    } finally {
      await dir.remove();
    }
  });

  it('keeps an unreadable id file aside instead of overwriting it', async () => {
    const dir = await tempDir('device-id-bad');
    try {
      await writeFile(deviceIdFile(dir.path), 'not an id');
      const identity = await loadOrCreateDeviceIdentity(dir.path);
      expect(identity.id).toMatch(DEVICE_ID_PATTERN);
      expect(
        (await readdir(dir.path)).some((name) => name.startsWith('device-id.unreadable-')),
      ).toBe(true);
    } finally {
      await dir.remove();
    }
  });

  it('names the device in headers, the label percent-encoded', () => {
    const headers = deviceHeaders({ id: 'x', label: 'Büro laptop' });
    expect(headers).toEqual({
      'x-attache-device-id': 'x',
      'x-attache-device-label': 'B%C3%BCro%20laptop',
    });
  });
});
