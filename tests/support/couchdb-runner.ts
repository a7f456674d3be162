// The vitest runner of the `couchdb` project (vitest.config.ts). Where no Apache CouchDB can be
// had (and not in CI, where that fails the run), every test of the project reports itself skipped
// with the reason, before any hook of the file starts a server: a skipped file's `beforeAll`
// would otherwise fail the run for want of the CouchDB it names.
import type { RunnerTask, RunnerTestSuite } from 'vitest';
import { TestRunner } from 'vitest';

/** Set by vitest.config.ts when the real-CouchDB runs cannot run here. */
export const COUCHDB_SKIP_VAR = 'ATTACHE_TEST_COUCHDB_SKIP';

declare module 'vitest' {
  // Declaration merging needs an interface.
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions
  interface TaskMeta {
    /** Why the test did not run (scripts/run-tests.mjs prints it). */
    skipReason?: string;
  }
}

function skipAll(task: RunnerTask, reason: string): void {
  task.mode = 'skip';
  task.meta.skipReason = reason;
  if (task.type === 'suite') for (const child of task.tasks) skipAll(child, reason);
}

export default class CouchDbRunner extends TestRunner {
  override onBeforeRunSuite(suite: RunnerTestSuite): Promise<void> {
    const reason = process.env[COUCHDB_SKIP_VAR];
    if (reason && suite.file === suite) skipAll(suite, reason);
    return super.onBeforeRunSuite(suite);
  }
}
