// When the tests on Apache CouchDB may be skipped, and how: with the reason, never silently, and
// never in CI (tests/support/couchdb.ts, couchdb-runner.ts).
import { describe, expect, it } from 'vitest';
import type { RunnerTestSuite } from 'vitest';
import CouchDbRunner, { COUCHDB_SKIP_VAR } from '../../support/couchdb-runner.js';
import { findCouchDb, skipReason } from '../../support/couchdb.js';

const NAMED = {
  ATTACHE_TEST_COUCHDB_URL: 'http://127.0.0.1:5984/',
  ATTACHE_TEST_COUCHDB_USER: 'admin',
  ATTACHE_TEST_COUCHDB_PASSWORD: 'secret',
};

describe('skipping the tests on Apache CouchDB', () => {
  it('runs them when there is a CouchDB, says why not when there is none, and fails CI instead', () => {
    expect(skipReason({ kind: 'instances', tree: '/opt/couchdb' }, {})).toBeNull();
    const none = {
      kind: 'unavailable',
      reason: 'Apache CouchDB tests skipped: no Apache CouchDB build at ../shared/couchdb',
    } as const;
    expect(skipReason(none, {})).toBe(none.reason);
    expect(() => skipReason(none, { CI: 'true' })).toThrow(
      /CI must run the tests on Apache CouchDB: Apache CouchDB tests skipped: no Apache CouchDB build/,
    );
  });

  it('a runner taking turns uses the named running server', async () => {
    expect(await findCouchDb('server', NAMED)).toMatchObject({
      kind: 'server',
      server: { url: 'http://127.0.0.1:5984', user: 'admin', dataDir: null },
    });
  });

  it('the runner marks every test of a file skipped with the reason, before any hook runs', async () => {
    const test = { type: 'test', mode: 'run', meta: {} };
    const inner = { type: 'suite', mode: 'run', meta: {}, tasks: [test] };
    const file = { type: 'suite', mode: 'run', meta: {}, tasks: [inner] } as Record<
      string,
      unknown
    >;
    file['file'] = file;
    const runner = Object.create(CouchDbRunner.prototype) as CouchDbRunner;
    const previous = process.env[COUCHDB_SKIP_VAR];
    process.env[COUCHDB_SKIP_VAR] = 'no CouchDB here';
    try {
      // The base class's own step is not under test; only what this runner adds before it.
      await runner.onBeforeRunSuite(file as unknown as RunnerTestSuite).catch(() => undefined);
    } finally {
      if (previous === undefined) delete process.env[COUCHDB_SKIP_VAR];
      else process.env[COUCHDB_SKIP_VAR] = previous;
    }
    for (const task of [file, inner, test] as { mode: string; meta: { skipReason?: string } }[]) {
      expect(task.mode).toBe('skip');
      expect(task.meta.skipReason).toBe('no CouchDB here');
    }
  });
});
