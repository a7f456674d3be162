// The managed side of the composition: policy read again while the app runs reaches the reader
// as config:changed, the signed-in person's id and name are hashed in the logs from then on, and
// an install without valid connection settings answers every request with "not set up".
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventBus } from '../../../src/main/events/event-bus.js';
import { createFileLogSink } from '../../../src/main/logging/log-sink.file.js';
import { createLogger } from '../../../src/main/logging/logger.js';
import {
  NOT_SET_UP,
  attachManaged,
  createNotSetUpServices,
  loadManagedConfig,
} from '../../../src/main/managed-device.js';
import { createLinuxPolicySource } from '../../../src/main/policy/policy-source.linux.js';
import type { DeviceConfigView } from '../../../src/shared/settings.js';
import { until } from './auth-doubles.js';
import { memoryLogger, tempDir } from './fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function managed(policy: Record<string, unknown>) {
  const dir = await tempDir('managed-device');
  cleanups.push(dir.remove);
  const file = join(dir.path, 'policy.json');
  await writeFile(file, JSON.stringify(policy));
  const loaded = await loadManagedConfig({
    dataDir: dir.path,
    appVersion: '1.0.0',
    mode: 'production',
    environment: {},
    platform: 'linux',
    logger: memoryLogger().logger,
    policy: createLinuxPolicySource({ file }),
  });
  return { ...loaded, dir, file };
}

const CONNECTION = {
  ServerUrl: 'https://attache.example.gov.au',
  IdentityAuthority: 'https://login.example.gov.au/',
  ClientId: 'reader',
  Scopes: 'api://attache-broker/briefings.sync',
};

describe('the managed device', () => {
  it('reads policy again while running and tells the reader what changed', async () => {
    const { config, file } = await managed({ ...CONNECTION, Theme: 'light' });
    const events = createEventBus();
    const seen: DeviceConfigView[] = [];
    events.subscribe((name, payload) => {
      if (name === 'config:changed') seen.push(payload as DeviceConfigView);
    });
    cleanups.push(attachManaged({ events }, config, { refreshMs: 20 }));
    await writeFile(file, JSON.stringify({ ...CONNECTION, Theme: 'dark' }));
    await until('config:changed', () => seen.length > 0);
    expect(seen.at(-1)?.personal.theme).toBe('dark');
    expect(seen.at(-1)?.lockedPersonal.theme).toBe(true);
  });

  it('hashes the signed-in person in the logs from the moment the reader is told who it is', async () => {
    const { config, dir } = await managed(CONNECTION);
    const events = createEventBus();
    cleanups.push(attachManaged({ events }, config));
    const logger = createLogger('test', createFileLogSink({ dir: join(dir.path, 'logs') }));
    events.emit('session:changed', {
      state: 'signed-in',
      user: { id: 'robin.quill', displayName: 'Robin Quill' },
    } as never);
    logger.info('Robin Quill (robin.quill) opened the reader');
    const text = await readFile(join(dir.path, 'logs', 'main.log'), 'utf8');
    expect(text).not.toContain('Robin Quill');
    expect(text).not.toContain('robin.quill');
  });

  it('answers every request "not set up", naming the setting, but still exports diagnostics', async () => {
    const { config, dir } = await managed({ ServerUrl: 'ftp://nowhere' });
    const services = createNotSetUpServices({
      config,
      logDir: join(dir.path, 'logs'),
      logger: memoryLogger().logger,
    });
    const session = await services.dispatch('session:get', {});
    expect(session).toEqual({
      ok: false,
      error: {
        code: NOT_SET_UP,
        message: expect.stringContaining('the setting ServerUrl') as unknown,
      },
    });
    const view = await services.dispatch('config:get', {});
    expect(view.ok && (view.value as DeviceConfigView).notSetUp?.name).toBe('ServerUrl');
    const zip = await services.dispatch('diagnostics:export', {});
    expect(zip.ok).toBe(true);
  });
});
