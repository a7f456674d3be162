// The embedded CouchDB-protocol server in a process of its own, for the benchmark: production
// runs CouchDB apart from the pipeline, and this gives each its own core here too.
// Env: BENCH_COUCH_DIR, BENCH_COUCH_USER, BENCH_COUCH_PASSWORD. Prints the URL, runs until killed.
import { startEmbeddedCouch } from '../../server/src/couch/embedded-couch.pouch.js';
import { setLogLevel } from '../../server/src/observability/logger.js';

setLogLevel('warn');
const couch = await startEmbeddedCouch({
  dataDir: process.env['BENCH_COUCH_DIR'] ?? '.tmp/bench-couch',
  host: '127.0.0.1',
  port: 0,
  admin: {
    username: process.env['BENCH_COUCH_USER'] ?? 'bench',
    password: process.env['BENCH_COUCH_PASSWORD'] ?? 'bench-password',
  },
});
process.stdout.write(`${JSON.stringify({ url: couch.url })}\n`);
process.on('SIGTERM', () => {
  void couch.stop().then(() => process.exit(0));
});
