import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../server/src/config/types.js';
import { DEPRECATED_KEYS, loadConfigFromEnv } from '../../../server/src/config/config-schema.js';
import {
  DEFAULT_RESTART_POLICY,
  embeddedCouchPaths,
  restartDelayMs,
  startEmbeddedCouchProcess,
} from '../../../server/src/couch/embedded-couch-process.js';

describe('embedded CouchDB-protocol server process', () => {
  it('waits longer after each crash in a row, up to a cap', () => {
    const delays = Array.from({ length: 10 }, (_, i) => restartDelayMs(DEFAULT_RESTART_POLICY, i));
    expect(delays.slice(0, 4)).toEqual([250, 500, 1000, 2000]);
    expect(Math.max(...delays)).toBe(DEFAULT_RESTART_POLICY.maxDelayMs);
    expect(restartDelayMs(DEFAULT_RESTART_POLICY, 10_000)).toBe(DEFAULT_RESTART_POLICY.maxDelayMs);
  });

  it('keeps its socket in an owner-only run folder of the data folder', () => {
    expect(embeddedCouchPaths('/srv/attache')).toEqual({
      couchDir: '/srv/attache/couch',
      runDir: '/srv/attache/couch/run',
      socketPath: '/srv/attache/couch/run/couch.sock',
    });
  });

  it('names dataDir when it is too long for a Unix socket path, before starting anything', async () => {
    const dataDir = path.join('/tmp', 'x'.repeat(100));
    const start = startEmbeddedCouchProcess({
      dataDir,
      admin: { username: 'a', password: 'b' },
      logLevel: 'silent',
    });
    await expect(start).rejects.toBeInstanceOf(ConfigError);
    await expect(start).rejects.toThrow(
      /^Invalid server configuration:\n {2}- dataDir \(ATTACHE_DATA_DIR\): too long/,
    );
  });

  it('still reads the old ATTACHE_COUCH_PORT, which no longer does anything, and says so', () => {
    expect(loadConfigFromEnv({ ATTACHE_COUCH_PORT: '5985' }).couchPort).toBe(5985);
    expect(DEPRECATED_KEYS.couchPort).toMatch(/no longer has any effect.*Unix socket.*Remove/);
  });
});
