import { defineConfig } from 'vitest/config';
import type { ViteUserConfig } from 'vitest/config';
import { findCouchDb, skipReason, TEST_BACKEND_VAR } from './tests/support/couchdb.js';
import { COUCHDB_SKIP_VAR } from './tests/support/couchdb-runner.js';

// The tests whose servers run on Apache CouchDB too (the `couchdb` project): every server
// integration test that reaches CouchDB through the server, and every device test that syncs
// through the server (sync, wipe, annotations on two devices and under kills, volume, share
// latency). Left out:
// what only the embedded server has (its process, socket, sandbox and LevelDB purge:
// embedded-couch-*, leveldb-purge, loopback-only, process-files, start-all*), what reaches no
// CouchDB (queues, SOR, CLI, sign-in, refusal floods, a stubbed upstream), and the crash test
// (fault-injection kills the Attaché process, which the embedded server dies with: with Apache
// CouchDB it would prove nothing more than the pipeline test, in four minutes).
const ON_COUCHDB = [
  'tests/integration/server/annotations-returns.test.ts',
  'tests/integration/server/audit-coverage.test.ts',
  'tests/integration/server/bad-input.test.ts',
  'tests/integration/server/broker-*.test.ts',
  'tests/integration/server/classification-ceiling.test.ts',
  'tests/integration/server/devices-cli.test.ts',
  'tests/integration/server/fanout-workers.test.ts',
  'tests/integration/server/pipeline.test.ts',
  'tests/integration/server/poller-lease.test.ts',
  'tests/integration/server/production-config.test.ts',
  'tests/integration/server/replay.test.ts',
  'tests/integration/server/returns.test.ts',
  'tests/integration/server/separation*.test.ts',
  'tests/integration/server/unshare-compaction.test.ts',
  'tests/integration/server/couchdb-*.test.ts',
  'tests/integration/device/annotations-kill.test.ts',
  'tests/integration/device/annotations-two-devices.test.ts',
  'tests/integration/device/device-sync.test.ts',
  'tests/integration/device/first-sync-volume.test.ts',
  'tests/integration/device/remote-wipe.test.ts',
  'tests/integration/device/share-latency.test.ts',
];
const NOT_ON_COUCHDB = ['tests/integration/server/broker-upstream-failures.test.ts'];

export default defineConfig(async (): Promise<ViteUserConfig> => {
  // A fresh CouchDB instance per server under test lets files run in parallel; a shared server
  // (ATTACHE_TEST_COUCHDB_URL alone) is wiped before each use, so then files take turns.
  const couchdb = await findCouchDb('instances');
  const skip = skipReason(couchdb);
  return {
    test: {
      pool: 'forks',
      testTimeout: 30_000,
      hookTimeout: 60_000,
      // Integration tests start real servers on random loopback ports; two cores run them well
      // two files at a time.
      maxWorkers: 2,
      fileParallelism: couchdb.kind !== 'server',
      projects: [
        {
          extends: true,
          test: {
            name: 'embedded',
            include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
            // Only on Apache CouchDB: what the embedded server has no counterpart for.
            exclude: ['tests/integration/server/couchdb-*.test.ts'],
          },
        },
        {
          extends: true,
          test: {
            name: 'couchdb',
            include: ON_COUCHDB,
            exclude: NOT_ON_COUCHDB,
            env: { [TEST_BACKEND_VAR]: 'couchdb', ...(skip ? { [COUCHDB_SKIP_VAR]: skip } : {}) },
            runner: './tests/support/couchdb-runner.ts',
          },
        },
      ],
    },
  };
});
