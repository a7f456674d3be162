// Device first-sync benchmark (not part of the test suite): `npm run bench:device`.
//
// A real server (embedded CouchDB-protocol server, broker on its default limits) holds
// BENCH_BRIEFINGS briefings of about 5 KB for one person, one in ten with a 64 KB PDF, and for a
// second person the same number with a PDF each. For each person, in the same run:
// - the limit of this machine for this job: a tight loop in this process that reads the feed
//   and fetches the same documents through the broker with `_bulk_get` (attachments inline,
//   four in flight) and writes them into a fresh encrypted store with `bulkDocs(new_edits:
//   false)`, nothing else;
// - the product: the person's workspace opened as the device opens it, in a thread of its own
//   (store, sync on its defaults, summary and search indexes), into another fresh encrypted
//   store, from start to a complete first sync (the final pass included), with the time until
//   the 50 newest are readable, the requests it made and how many the broker refused.
// - the baseline for memory: PouchDB.replicate on its defaults straight from the server's
//   CouchDB-protocol server (its Unix socket, no broker) into a plain pouchdb-node database.
// While the product syncs, a reader is open: the list's first page every 500 ms and the
// summaries of what each change names, as the renderer asks them (the workspace's briefings
// service), and the main thread's event-loop delay is sampled: its lateness beyond a 10 ms
// timer, beside the same figure idle just before the sync.
// Each of the three runs is a fresh process of its own (`--expose-gc`), the server staying in
// this one: a run's memory and event loop are the device's alone, and nothing of one run stays in
// the heap of the next. Prints docs/s and the ratio product / limit, the growth of RSS over its
// value at the start of the run and the ratio product / plain replication, the event-loop delay
// (p99, max), and the broker's requests and refusals (from the server's audit trail).
// The machine is noisy, so this runs BENCH_ROUNDS (3) rounds of limit, product and plain
// replication, the limit first in one round and after the product in the next, and prints each
// round's ratios and their medians.
// Env: BENCH_BRIEFINGS (10000), BENCH_VARIANTS (tenth,every), BENCH_ROUNDS (3), BENCH_NODE_ARGS
// (node options for the product's process, to profile it).
//
// BENCH_SEARCH=1 measures instead what the search index costs the first sync: for the one-in-ten
// person, the same first sync with and without the search service attached to the store (as the
// reader attaches it: indexing behind the sync, in its worker), alternating, BENCH_ROUNDS (3)
// pairs; prints each pair's ratio (with / without, in time to a complete first sync) and their
// median, and how long the index took to catch up after the sync ended.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import PouchDB from 'pouchdb-node';
import { Agent, fetch as socketFetch } from 'undici';
import type { BriefingsService } from '../../src/main/briefings/briefings-service.js';
import { createBriefingsService } from '../../src/main/briefings/briefings-service.js';
import { EMBEDDED_COUCH_ORIGIN } from '../../server/src/couch/embedded-couch-process.js';
import { openUserStore } from '../../src/main/storage/store.pouch.js';
import type { ReplicatedDoc, UserStore } from '../../src/main/storage/types.js';
import { createBrokerTransport } from '../../src/main/sync/broker-remote.pouch.js';
import { createBusySignal, createSearchService } from '../../src/main/search/search-service.js';
import { openWorkspaceThread } from '../../src/main/session/workspace-thread.js';
import { createSyncService } from '../../src/main/sync/sync-service.js';
import { createLogger } from '../../src/main/logging/logger.js';
import { auditRecords } from '../integration/server/broker-client.js';
import { basic, couchRequest } from '../integration/server/couch-socket.js';
import type { Harness } from '../integration/server/server-harness.js';
import { briefingInput, startHarness, waitFor } from '../integration/server/server-harness.js';
import { createInMemoryKeychainTestDouble } from '../unit/device/auth-doubles.js';
import { briefing, tempDir } from '../unit/device/fixtures.js';

const BRIEFINGS = Number(process.env['BENCH_BRIEFINGS'] ?? 10_000);
const VARIANTS = (process.env['BENCH_VARIANTS'] ?? 'tenth,every').split(',');
const PARAGRAPH =
  '<p>The delegation arrives on Tuesday; the minister’s remarks should acknowledge the trade ' +
  'figures published last quarter and avoid any commitment on the tariff review before the ' +
  'cabinet meeting. Officials recommend a short statement and no press conference.</p>';
const logger = createLogger('bench', () => undefined);

function pdf(): string {
  const bytes = randomBytes(64 * 1024); // compressed PDF streams look random
  bytes.write('%PDF-1.7\n', 0, 'latin1');
  return bytes.toString('base64');
}

async function seed(h: Harness, user: string, pdfEvery: number): Promise<void> {
  await h.admin('POST', '/briefings', briefingInput(`First for ${user}`, [user]));
  const token = await h.devToken(user);
  await waitFor('the person database', async () =>
    (await h.broker('/db/briefings', { token })).status === 200 ? true : undefined,
  );
  const { couchAdmin } = JSON.parse(fs.readFileSync(h.server.files.serverSecrets, 'utf8')) as {
    couchAdmin: { username: string; password: string };
  };
  const db = h.dbNames(user).briefings;
  for (let start = 0; start < BRIEFINGS; start += 50) {
    const docs = Array.from({ length: Math.min(50, BRIEFINGS - start) }, (_, k) => {
      const i = start + k;
      const withPdf = i % pdfEvery === 0;
      return {
        ...briefing(`BRF-${String(i + 1).padStart(6, '0')}`, {
          title: `Briefing ${i + 1}: bilateral visit preparation`,
          bodyHtml: PARAGRAPH.repeat(14),
        }),
        ...(withPdf
          ? { _attachments: { 'annex.pdf': { content_type: 'application/pdf', data: pdf() } } }
          : {}),
      };
    });
    const reply = await couchRequest(h.server.couch.socketPath ?? '', 'POST', `/${db}/_bulk_docs`, {
      authorization: basic(couchAdmin),
      body: JSON.stringify({ docs }),
    });
    if (reply.status !== 201) throw new Error(`seeding: ${reply.status} ${reply.text}`);
  }
}

/** What a device run needs of the server: the parent's harness, or its description in a child. */
type Site = {
  readonly brokerUrl: string;
  readonly socketPath: string;
  readonly couchAdmin: { readonly username: string; readonly password: string };
  readonly briefingsDb: string;
  readonly token: () => Promise<string>;
};

async function freshStore(
  user: string,
): Promise<{ store: UserStore; remove: () => Promise<void> }> {
  const dir = await tempDir('bench-device');
  const store = await openUserStore({
    dataDir: dir.path,
    userId: user,
    keychain: createInMemoryKeychainTestDouble(),
    logger,
  });
  return {
    store,
    remove: async () => {
      await store.close();
      await dir.remove();
    },
  };
}

/** The limit: feed, _bulk_get with attachments inline (4 in flight), encrypted bulkDocs. */
async function tightLoop(site: Site, user: string): Promise<number> {
  const { store, remove } = await freshStore(user);
  const transport = createBrokerTransport({
    brokerUrl: site.brokerUrl,
    authorization: async () => `Bearer ${await site.token()}`,
    onRequest: () => undefined,
  });
  const started = performance.now();
  try {
    const feed = (await (
      await transport.request('briefings', '_changes?style=all_docs&since=0&limit=10000')
    ).json()) as { results: { id: string; changes: { rev: string }[] }[] };
    const wanted = feed.results.map((c) => ({ id: c.id, rev: c.changes[0]?.rev ?? '' }));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < wanted.length) {
        const batch = wanted.slice(next, next + 50);
        next += 50;
        const answer = (await (
          await transport.request('briefings', '_bulk_get?revs=true&attachments=true&latest=true', {
            method: 'POST',
            body: { docs: batch },
          })
        ).json()) as { results: { docs: ({ ok: ReplicatedDoc } | { error: unknown })[] }[] };
        await store.pullTarget.writeReplicated(
          answer.results.flatMap((r) => r.docs.flatMap((d) => ('ok' in d ? [d.ok] : []))),
        );
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return wanted.length / ((performance.now() - started) / 1000);
  } finally {
    await remove();
  }
}

/** Samples RSS every 20 ms from now; `stop` gives how far it rose above its value now (MB). */
function watchRss(): { peak: () => number; stop: () => number } {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return {
    peak: () => (peak - start) / 2 ** 20,
    stop: () => {
      clearInterval(timer);
      return (peak - start) / 2 ** 20;
    },
  };
}

/**
 * The event loop's delay: a timer every LAG_RESOLUTION_MS, each wake's lateness beyond it (the
 * histogram holds the whole interval, so an idle loop reads about 10 ms at p99 without this).
 */
const LAG_RESOLUTION_MS = 10;
function watchLag(): { stop: () => { p99: number; max: number } } {
  const histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  histogram.enable();
  return {
    stop: () => {
      histogram.disable();
      return {
        p99: Math.max(0, histogram.percentile(99) / 1e6 - LAG_RESOLUTION_MS),
        max: Math.max(0, histogram.max / 1e6 - LAG_RESOLUTION_MS),
      };
    },
  };
}

/** The same delay with nothing running, in the same process: the floor the sync's is read against. */
async function idleLag(): Promise<number> {
  const lag = watchLag();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return lag.stop().p99;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The memory baseline: PouchDB.replicate on its defaults, server to plain LevelDB, no broker. */
async function plainReplicate(site: Site): Promise<{ rssMb: number }> {
  const dir = await tempDir('bench-plain');
  const agent = new Agent({ connect: { socketPath: site.socketPath } });
  const source = new PouchDB(`${EMBEDDED_COUCH_ORIGIN}/${site.briefingsDb}`, {
    auth: site.couchAdmin,
    // Over the socket; attachments are read with node-fetch's buffer() where a response has
    // one (PouchDB's http adapter), which undici's responses lack.
    fetch: (async (url: string, init: RequestInit) => {
      const response = await socketFetch(url, { ...(init as object), dispatcher: agent });
      return Object.assign(response, {
        buffer: async () => Buffer.from(await response.arrayBuffer()),
      });
    }) as unknown as PouchDB.Configuration.RemoteDatabaseConfiguration['fetch'],
  });
  const target = new PouchDB(`${dir.path}/plain`);
  collectGarbage();
  const rss = watchRss();
  try {
    await PouchDB.replicate(source, target);
    return { rssMb: rss.stop() };
  } finally {
    await target.close();
    await source.close();
    await agent.close();
    await dir.remove();
  }
}

type ProductRun = {
  docsPerSec: number;
  newest50Ms: number;
  requests: number;
  refused: number;
  rssMb: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** The event loop's p99 delay before the sync, idle, in the same process. */
  idleLagP99Ms: number;
  listCalls: number;
  seconds: number;
  /** With search: seconds from the sync's end until the index had caught up. */
  indexedAfter: number | null;
  /** Peak RSS growth until the index had caught up (the sync's alone without search). */
  rssIndexedMb: number;
};

/**
 * The reader during a first sync: the first page every 500 ms and the summaries of what each
 * change names, one call at a time, as the renderer asks them; and when the 50 newest were told.
 */
function openReader(briefings: () => Pick<BriefingsService, 'page' | 'summaries'>) {
  const held = new Set<string>();
  const named = new Set<string>();
  const newest = Array.from(
    { length: 50 },
    (_, i) => `briefing:BRF-${String(BRIEFINGS - i).padStart(6, '0')}`,
  );
  let newestAt: number | null = null;
  let listCalls = 0;
  let reading = false;
  const read = async (): Promise<void> => {
    if (reading) return;
    reading = true;
    try {
      while (named.size > 0) {
        const ids = [...named].slice(0, 500);
        for (const id of ids) named.delete(id);
        await briefings().summaries(ids);
        listCalls += 1;
      }
      await briefings().page(0, 50);
      listCalls += 1;
    } finally {
      reading = false;
    }
  };
  // A call still in flight when the run closes the workspace is refused: not a failure.
  const readNow = () => void read().catch(() => undefined);
  const pager = setInterval(readNow, 500);
  return {
    changed: (ids: readonly string[]): void => {
      for (const id of ids) {
        held.add(id);
        named.add(id);
      }
      if (newestAt === null && newest.every((id) => held.has(id))) newestAt = performance.now();
      readNow();
    },
    newestAt: () => newestAt,
    listCalls: () => listCalls,
    stop: () => clearInterval(pager),
  };
}

/** Measures one first sync: `start` it, resolve `done` at its verified end. */
async function measureFirstSync(
  reader: ReturnType<typeof openReader>,
  start: () => void,
  done: () => Promise<unknown>,
  indexed?: () => Promise<unknown>,
): Promise<ProductRun> {
  const idleLagP99Ms = await idleLag();
  collectGarbage();
  const rss = watchRss();
  const started = performance.now();
  const lag = watchLag();
  start();
  await done();
  const seconds = (performance.now() - started) / 1000;
  const delay = lag.stop();
  const rssMb = rss.peak();
  // The search index takes in what the sync wrote once the sync is done (search-service.ts,
  // yieldTo): how long after, and the memory it took meanwhile.
  const synced = performance.now();
  if (indexed) await indexed();
  const indexedAfter = indexed ? (performance.now() - synced) / 1000 : null;
  const rssIndexedMb = rss.stop();
  return {
    docsPerSec: (BRIEFINGS + 1) / seconds,
    seconds,
    indexedAfter,
    rssIndexedMb,
    newest50Ms: (reader.newestAt() ?? performance.now()) - started,
    // Counted by the parent from the server's audit trail.
    requests: 0,
    refused: 0,
    rssMb,
    lagP99Ms: delay.p99,
    lagMaxMs: delay.max,
    idleLagP99Ms,
    listCalls: reader.listCalls(),
  };
}

/** The sync service alone on a store in this thread, with or without the search service. */
async function product(
  site: Site,
  user: string,
  options: { readonly search?: boolean } = {},
): Promise<ProductRun> {
  const { store, remove } = await freshStore(user);
  // As the workspace attaches it: indexing gives way while the sync writes.
  const syncing = createBusySignal();
  const search = options.search
    ? createSearchService({ store, logger, yieldTo: syncing.signal })
    : null;
  const sync = createSyncService({
    store,
    brokerUrl: site.brokerUrl,
    tokenProvider: { getAccessToken: site.token },
    logger,
  });
  sync.onStatus((status) => syncing.set(status.state === 'syncing'));
  const briefings = createBriefingsService({ store, logger });
  const reader = openReader(() => briefings);
  store.onBriefingsChange((changes) => reader.changed(changes.map((change) => change.id)));
  try {
    return await measureFirstSync(
      reader,
      () => sync.start(),
      () =>
        waitFor(
          'a complete first sync',
          async () => ((await store.pullTarget.readCheckpoint())?.verified ? true : undefined),
          3_600_000,
        ),
      search ? () => search.idle() : undefined,
    );
  } finally {
    reader.stop();
    await sync.stop();
    await briefings.close();
    await search?.close();
    await remove();
  }
}

/**
 * The product as it runs on a device: the person's workspace (store, sync, summary and search
 * indexes) in its thread, opened as the session controller opens it; the reader's calls and the
 * event loop measured are the main thread's.
 */
async function productThread(site: Site, user: string): Promise<ProductRun> {
  const dir = await tempDir('bench-device');
  let reader: ReturnType<typeof openReader> | null = null;
  const workspace = await openWorkspaceThread({
    dataDir: dir.path,
    brokerUrl: site.brokerUrl,
    userId: user,
    keychain: createInMemoryKeychainTestDouble(),
    tokenProvider: { getAccessToken: site.token },
    logger,
    ceiling: null,
    onBriefingsChanged: (ids) => reader?.changed(ids),
  });
  reader = openReader(() => workspace.briefings);
  // Up to date only once the first sync's final pass has proved nothing is missing.
  const synced = new Promise<void>((resolve) =>
    workspace.sync.onStatus((status) => {
      if (status.state === 'up-to-date') resolve();
    }),
  );
  try {
    return await measureFirstSync(
      reader,
      () => workspace.sync.start(),
      () => synced,
      async () => {
        await workspace.search.idle();
        // Caught up means every briefing findable: each seeded title says "bilateral" (all but
        // BRF-000001, whose id the SOR's first briefing took before the seed). A date filter
        // that keeps all of them makes the index list every match, so the count is exact (its
        // own count stops at 1,000).
        const { total } = await workspace.search.query({
          text: 'bilateral',
          filters: { after: '2000-01-01' },
        });
        if (total !== BRIEFINGS - 1) {
          throw new Error(`the search index finds ${total} of ${BRIEFINGS - 1} briefings`);
        }
      },
    );
  } finally {
    reader.stop();
    await workspace.close();
    await dir.remove();
  }
}

/** The first sync with the search index attached against the same without it, alternating. */
async function searchCost(h: Harness, user: string): Promise<void> {
  const product = (_h: Harness, who: string, options: { search: boolean }) =>
    inChild<ProductRun>(h, who, options.search ? 'product-search' : 'product-in-process');
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so a machine growing busier or quieter favours neither.
    const first = round % 2 === 0;
    const a = await product(h, user, { search: first });
    const b = await product(h, user, { search: !first });
    const [withIndex, without] = first ? [a, b] : [b, a];
    ratios.push(withIndex.seconds / without.seconds);
    console.log(
      `  round ${round + 1}: without search ${without.seconds.toFixed(1)} s, with ` +
        `${withIndex.seconds.toFixed(1)} s (ratio ${(withIndex.seconds / without.seconds).toFixed(2)}), ` +
        `index caught up ${withIndex.indexedAfter?.toFixed(1)} s after the sync`,
    );
  }
  const median = [...ratios].sort((x, y) => x - y)[Math.floor(ratios.length / 2)] ?? NaN;
  console.log(`  first sync with search / without, median of ${rounds}: ${median.toFixed(2)}`);
}

async function main(): Promise<void> {
  const h = await startHarness({ seedDemoData: false });
  try {
    const variants = [
      { key: 'tenth', name: 'one in ten with a PDF', user: 'bench.tenth', pdfEvery: 10 },
      { key: 'every', name: 'every briefing with a PDF', user: 'bench.every', pdfEvery: 1 },
    ].filter((variant) => VARIANTS.includes(variant.key));
    if (process.env['BENCH_SEARCH'] === '1') {
      const variant = variants.find((each) => each.key === 'tenth') ?? variants[0];
      if (!variant) throw new Error('BENCH_SEARCH=1 needs the "tenth" variant');
      await seed(h, variant.user, variant.pdfEvery);
      console.log(`${BRIEFINGS} briefings (about 5 KB; one in ten with a 64 KB PDF)`);
      await searchCost(h, variant.user);
      return;
    }
    for (const variant of variants) await seed(h, variant.user, variant.pdfEvery);
    console.log(`${BRIEFINGS} briefings per person (about 5 KB; PDFs of 64 KB)`);
    const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
    const median = (values: readonly number[]): number =>
      [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? NaN;
    for (const variant of variants) {
      // The machine is shared and noisy: limit and product run in pairs, alternating which goes
      // first, and each figure is the median over the rounds (each pair's ratio printed too).
      const pairs: { limit: number; run: ProductRun; plainMb: number }[] = [];
      for (let round = 0; round < rounds; round++) {
        const limitFirst = round % 2 === 0;
        const limitBefore = limitFirst ? await inChild<number>(h, variant.user, 'limit') : 0;
        const auditBefore = auditRecords(h).length;
        const run = await inChild<ProductRun>(h, variant.user, 'product');
        const records = auditRecords(h)
          .slice(auditBefore)
          .filter((r) => r.action === 'broker.request' && r['user'] === variant.user);
        run.requests = records.length;
        run.refused = records.filter((r) => r.decision === 'refused').length;
        const limit = limitFirst ? limitBefore : await inChild<number>(h, variant.user, 'limit');
        const plain = await inChild<{ rssMb: number }>(h, variant.user, 'plain');
        pairs.push({ limit, run, plainMb: plain.rssMb });
        console.log(
          `  ${variant.key} round ${round + 1}: limit ${limit.toFixed(0)} docs/s, product ` +
            `${run.docsPerSec.toFixed(0)} (ratio ${(run.docsPerSec / limit).toFixed(2)}), RSS ` +
            `${run.rssMb.toFixed(0)} / ${plain.rssMb.toFixed(0)} MB (${(run.rssMb / plain.rssMb).toFixed(2)}), ` +
            `event loop p99 ${run.lagP99Ms.toFixed(1)} ms (idle ${run.idleLagP99Ms.toFixed(1)}); ` +
            `search index complete ${(run.indexedAfter ?? 0).toFixed(1)} s after the sync, RSS ` +
            `${run.rssIndexedMb.toFixed(0)} MB by then`,
        );
      }
      const of = (pick: (pair: (typeof pairs)[number]) => number): number =>
        median(pairs.map(pick));
      console.log(
        [
          `${variant.name} (medians of ${rounds} rounds):`,
          `  limit (tight loop)     ${of((p) => p.limit).toFixed(0)} docs/s`,
          `  first sync (product)   ${of((p) => p.run.docsPerSec).toFixed(0)} docs/s, ratio ${of((p) => p.run.docsPerSec / p.limit).toFixed(2)}`,
          `  50 newest readable     ${of((p) => p.run.newest50Ms).toFixed(0)} ms after start`,
          `  broker requests        ${of((p) => p.run.requests)}, refused ${Math.max(...pairs.map((p) => p.run.refused))} at most`,
          `  RSS growth             ${of((p) => p.run.rssMb).toFixed(0)} MB; plain PouchDB.replicate ${of((p) => p.plainMb).toFixed(0)} MB; ratio ${of((p) => p.run.rssMb / p.plainMb).toFixed(2)}`,
          `  search index           complete ${of((p) => p.run.indexedAfter ?? 0).toFixed(1)} s after the sync (itself ${of((p) => p.run.seconds).toFixed(1)} s), RSS growth ${of((p) => p.run.rssIndexedMb).toFixed(0)} MB by then`,
          `  event-loop delay       p99 ${of((p) => p.run.lagP99Ms).toFixed(1)} ms (idle before the sync ${of((p) => p.run.idleLagP99Ms).toFixed(1)} ms), max ${of((p) => p.run.lagMaxMs).toFixed(1)} ms, with ${of((p) => p.run.listCalls)} list calls of the reader`,
        ].join('\n'),
      );
    }
  } finally {
    await h.stop();
  }
}

type Mode = 'limit' | 'product' | 'product-in-process' | 'product-search' | 'plain';
type ChildTask = { mode: Mode; user: string; site: Omit<Site, 'token'>; token: string };

/**
 * Runs one device run in a fresh process of its own (with `--expose-gc`), so that its memory and
 * event loop are the device's alone, not shared with the server (broker) in this process, and
 * nothing of one run stays in the heap of the next. Resolves with what the run printed.
 */
async function inChild<T>(h: Harness, user: string, mode: Mode): Promise<T> {
  const { couchAdmin } = JSON.parse(fs.readFileSync(h.server.files.serverSecrets, 'utf8')) as {
    couchAdmin: { username: string; password: string };
  };
  const task: ChildTask = {
    mode,
    user,
    site: {
      brokerUrl: h.server.urls.broker,
      socketPath: h.server.couch.socketPath ?? '',
      couchAdmin,
      briefingsDb: h.dbNames(user).briefings,
    },
    // Valid 15 minutes: longer than any run at these sizes.
    token: await h.devToken(user),
  };
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      // For a look inside one run, e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
      ...(mode === 'product'
        ? (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean)
        : []),
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
    ],
    {
      env: { ...process.env, BENCH_DEVICE_CHILD: JSON.stringify(task) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const last = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || last === '') throw new Error(`the ${mode} run failed (${code}): ${out}`);
  return JSON.parse(last) as T;
}

async function child(task: ChildTask): Promise<void> {
  const site: Site = { ...task.site, token: () => Promise.resolve(task.token) };
  const result =
    task.mode === 'limit'
      ? await tightLoop(site, task.user)
      : task.mode === 'plain'
        ? await plainReplicate(site)
        : task.mode === 'product'
          ? await productThread(site, task.user)
          : await product(site, task.user, { search: task.mode === 'product-search' });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const childTask = process.env['BENCH_DEVICE_CHILD'];
if (childTask) await child(JSON.parse(childTask) as ChildTask);
else await main();
