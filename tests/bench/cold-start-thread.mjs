// The cold start as the device runs it, for bench:cold-start (cold-start.bench.ts runs this in a
// fresh process): the person's workspace in its thread to the answer of the first page of 50.
// Plain Node on the build (`dist/`, from `npm run build`), so the thread starts from built files
// as in the app, without the TypeScript loader the benchmark itself runs under (its hooks would
// follow the thread in). Modules of this process load before the clock starts. With
// BENCH_COLD_LAUNCHED the thread is started first and its modules loaded before the clock too,
// as the app starts it at launch (src/main/index.ts) while Electron and the window load; without,
// it starts at the clock (a person who signs in before it has loaded).
const dist = new URL('../../dist/src/main/', import.meta.url);
const { launchWorkspaceThread, openWorkspaceThread } = await import(
  new URL('session/workspace-thread.js', dist).href
);
const { createKeytarKeychain } = await import(new URL('secrets/keychain.keytar.js', dist).href);
const { keychainServiceFor } = await import(new URL('secrets/keychain-service.js', dist).href);
const { createLogger } = await import(new URL('logging/logger.js', dist).href);

const dataDir = process.env['BENCH_COLD_DIR'] ?? '';
const userId = process.env['BENCH_COLD_USER'] ?? '';
const logger = createLogger('bench', () => undefined);
let launched;
if (process.env['BENCH_COLD_LAUNCHED']) {
  const launchedAt = performance.now();
  launched = launchWorkspaceThread(logger);
  await launched.ready();
  console.error(`thread ready ${(performance.now() - launchedAt).toFixed(0)} ms after its start; `);
}
const started = performance.now();
const workspace = await openWorkspaceThread(
  {
    dataDir,
    brokerUrl: 'http://127.0.0.1:9',
    userId,
    keychain: createKeytarKeychain({ service: keychainServiceFor(dataDir) }),
    tokenProvider: { getAccessToken: () => Promise.resolve(null) },
    logger,
    ceiling: null,
    onBriefingsChanged: () => undefined,
  },
  launched,
);
const opened = performance.now() - started;
const page = await workspace.briefings.page(0, 50);
const elapsed = performance.now() - started;
console.error(`store open ${opened.toFixed(0)} ms, first page ${(elapsed - opened).toFixed(0)} ms`);
if (page.items.length !== 50) throw new Error(`first page held ${page.items.length}`);
await workspace.close();
console.log(`elapsed ${elapsed}`);
