// Site replication at scale (not part of the test suite): `npm run bench:sites`. Two CouchDB 3.5
// instances from ../shared/couchdb (tests/support): site A with BENCH_PEOPLE people (both
// databases each, made directly), site B where the sites command writes three replications per
// person. Run twice, with fewer scheduler slots than replications (as with the shipped
// max_jobs, 500, and more than 166 readers) and with the settings docs/operations.md recommends ("Two sites", scale), it prints: how long `sites sync` took,
// how long until every replication ran, the states over time, then how long a document
// written at A for the first and the last person took to reach B, and the CouchDB processes'
// memory and open files. Env: BENCH_PEOPLE (100), BENCH_WAIT_S (150: give up waiting then).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pMap from 'p-map';
import { runSitesCli } from '../../server/src/sites/sites-cli.js';
import {
  readSiteReplications,
  summarizeReplications,
} from '../../server/src/sites/replication-status.js';
import { createSiteCouch } from '../../server/src/sites/site-couch.js';
import { userDbNames } from '../../server/src/user-dbs/user-dbs.js';
import { ensureCouchDbTree, startCouchDbInstance } from '../support/couchdb-instance.js';
import type { CouchDbInstance } from '../support/couchdb-instance.js';

const PEOPLE = Number(process.env['BENCH_PEOPLE'] ?? 100);
const WAIT_MS = Number(process.env['BENCH_WAIT_S'] ?? 150) * 1000;
const progress = (text: string) => process.stderr.write(`  … ${text}\n`);

const TUNED = `
[replicator]
max_jobs = ${PEOPLE * 3 + 500}
worker_processes = 1
http_connections = 2
worker_batch_size = 100
max_churn = 200
`;

type Resources = { rssMiB: number; openFiles: number };

function resources(instance: CouchDbInstance): Resources {
  const pid = fs.readFileSync(path.join(instance.dir, 'couchdb.pid'), 'utf8').trim();
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMiB: Math.round(rss / 1024), openFiles: fs.readdirSync(`/proc/${pid}/fd`).length };
}

const auth = (i: CouchDbInstance) =>
  `Basic ${Buffer.from(`${i.user}:${i.password}`).toString('base64')}`;

async function put(i: CouchDbInstance, route: string, body?: unknown): Promise<number> {
  const res = await fetch(`${i.url}${route}`, {
    method: 'PUT',
    headers: { authorization: auth(i), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await res.text();
  return res.status;
}

async function scenario(tree: string, name: string, ini: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-sites-bench-'));
  const [a, b] = await Promise.all([
    startCouchDbInstance({ tree, dir: path.join(dir, 'a') }),
    startCouchDbInstance({ tree, dir: path.join(dir, 'b'), ini }),
  ]);
  try {
    const people = Array.from({ length: PEOPLE }, (_, n) => `reader.${String(n).padStart(5, '0')}`);
    progress(`${name}: ${PEOPLE} people at A`);
    await pMap(
      people,
      async (user) => {
        const names = userDbNames(user);
        await put(a, `/${names.briefings}?q=1`);
        await put(a, `/${names.returns}?q=1`);
      },
      { concurrency: 8 },
    );
    const files = (instance: CouchDbInstance, label: string) => {
      const file = path.join(dir, `${label}-password`);
      fs.writeFileSync(file, instance.password, { mode: 0o600 });
      return file;
    };
    const before = { a: resources(a), b: resources(b) };
    const started = Date.now();
    await runSitesCli(
      [
        'sync',
        '--primary-url',
        a.url,
        '--primary-user',
        a.user,
        '--primary-password-file',
        files(a, 'a'),
      ],
      {
        env: {
          ATTACHE_COUCH_URL: b.url,
          ATTACHE_COUCH_USER: b.user,
          ATTACHE_COUCH_PASSWORD_FILE: files(b, 'b'),
        },
        fetch: globalThis.fetch,
        out: (text) => progress(text),
      },
    );
    const syncMs = Date.now() - started;
    const scheduler = createSiteCouch('site B', {
      url: b.url,
      credentials: { username: b.user, password: b.password },
    });
    const states = async () => {
      const s = summarizeReplications(await readSiteReplications(scheduler));
      const all = Object.values(s).map((d) => d.byState);
      const sum = (state: keyof (typeof all)[number]) => all.reduce((n, d) => n + d[state], 0);
      return {
        running: sum('running'),
        pending: sum('pending'),
        other: PEOPLE * 3 - sum('running') - sum('pending'),
      };
    };
    let allRunningMs: number | null = null;
    const timeline: string[] = [];
    while (Date.now() - started < WAIT_MS) {
      const s = await states().catch(() => null);
      if (!s) {
        timeline.push(
          `${Math.round((Date.now() - started) / 1000)} s: the scheduler did not answer within 30 s`,
        );
        continue;
      }
      timeline.push(
        `${Math.round((Date.now() - started) / 1000)} s: ${s.running} running, ${s.pending} pending, ${s.other} other`,
      );
      if (s.running === PEOPLE * 3) {
        allRunningMs = Date.now() - started;
        break;
      }
      await new Promise((r) => setTimeout(r, 5_000));
    }
    const arrival = async (user: string): Promise<number | null> => {
      const db = userDbNames(user).briefings;
      const id = `briefing:bench-${Date.now()}`;
      const t0 = Date.now();
      await put(a, `/${db}/${encodeURIComponent(id)}`, { title: 'bench' });
      while (Date.now() - t0 < 60_000) {
        const res = await fetch(`${b.url}/${db}/${encodeURIComponent(id)}`, {
          headers: { authorization: auth(b) },
        });
        await res.text();
        if (res.ok) return Date.now() - t0;
        await new Promise((r) => setTimeout(r, 100));
      }
      return null;
    };
    const first = await arrival(people[0]!);
    const last = await arrival(people[people.length - 1]!);
    const after = { a: resources(a), b: resources(b) };
    const ms = (v: number | null) =>
      v === null ? 'not within the wait' : `${(v / 1000).toFixed(1)} s`;
    console.log(`\n${name}: ${PEOPLE} people, ${PEOPLE * 3} replications`);
    console.log(
      `  sites sync: ${ms(syncMs)}; every replication running after: ${ms(allRunningMs)}`,
    );
    for (const line of timeline.filter((_, n) => n % 3 === 0 || n === timeline.length - 1))
      console.log(`    ${line}`);
    console.log(`  a write at A reached B: first person ${ms(first)}, last person ${ms(last)}`);
    console.log(
      `  CouchDB A: ${before.a.rssMiB} -> ${after.a.rssMiB} MiB, ${before.a.openFiles} -> ${after.a.openFiles} open files; ` +
        `CouchDB B: ${before.b.rssMiB} -> ${after.b.rssMiB} MiB, ${before.b.openFiles} -> ${after.b.openFiles} open files`,
    );
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const found = await ensureCouchDbTree();
  if (found.tree === null) throw new Error(found.reason);
  // Fewer running slots than replications, as with the shipped max_jobs (500) and more than
  // 166 readers: the scheduler rotates them.
  await scenario(
    found.tree,
    `max_jobs ${Math.floor(PEOPLE * 1.5)} (half the replications), otherwise as shipped`,
    `[replicator]\nmax_jobs = ${Math.floor(PEOPLE * 1.5)}\n`,
  );
  await scenario(found.tree, 'recommended settings', TUNED);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
