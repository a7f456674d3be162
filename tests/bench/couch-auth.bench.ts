// How the broker should act as each user on Apache CouchDB (not part of the test suite):
// `npm run bench:couch-auth`. One CouchDB 3.5 instance from ../shared/couchdb (tests/support)
// accepts all three ways at once; each is measured against the same per-user databases:
//
// - basic: the user's account in `_users`, password derived from the service secret; CouchDB
//   checks it with PBKDF2-SHA256 (its default 600,000 iterations) unless the verification is
//   cached (its small authentication cache);
// - proxy: CouchDB's proxy authentication (`X-Auth-CouchDB-UserName` with an HMAC token of the
//   name, `proxy_use_secret`), no accounts;
// - jwt: a short-lived ES256 token per user (couch/user-auth.ts), no accounts.
//
// Phases per mode, USERS users: 'cold' reads each user's database once (the first request of a
// user after a CouchDB start, or once the cache has forgotten them), 'warm' reads round-robin
// over all users CONCURRENCY at a time for ROUNDS rounds (many readers at once, more users than
// the cache holds). Printed: requests per second, median and p95 latency, and each mode's
// ratio to jwt measured in the same run (timings here are noisy; ratios are what to compare).
// Env: BENCH_USERS (200), BENCH_ROUNDS (5), BENCH_CONCURRENCY (16).
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent } from 'undici';
import { userDbNames } from '../../server/src/user-dbs/user-dbs.js';
import {
  createBasicUserAuth,
  createJwtUserAuth,
  parseJwtSigningKey,
} from '../../server/src/couch/user-auth.js';
import type { UserAuth } from '../../server/src/couch/user-auth.js';
import { ensureCouchDbTree, startCouchDbInstance } from '../support/couchdb-instance.js';
import { newJwtKey } from '../support/couchdb.js';

const USERS = Number(process.env['BENCH_USERS'] ?? 200);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const PROXY_SECRET = randomBytes(16).toString('hex');

const progress = (text: string) => process.stderr.write(`  … ${text}\n`);
const agent = new Agent({ connections: CONCURRENCY * 2 });

type Mode = 'basic' | 'proxy' | 'jwt';
type Phase = { rps: number; p50: number; p95: number };

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const found = await ensureCouchDbTree();
  if (found.tree === null) throw new Error(found.reason);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-auth-bench-'));
  const secrets = path.join(dir, 'secrets');
  fs.mkdirSync(secrets, { mode: 0o700 });
  const key = newJwtKey(secrets);
  const ini = `${key.ini.replace(
    /^authentication_handlers = .*$/m,
    'authentication_handlers = {chttpd_auth, proxy_authentication_handler}, {chttpd_auth, jwt_authentication_handler}, {chttpd_auth, default_authentication_handler}',
  )}\n[chttpd_auth]\nproxy_use_secret = true\nsecret = ${PROXY_SECRET}\n`;
  const couch = await startCouchDbInstance({
    tree: found.tree,
    dir: path.join(dir, 'couchdb'),
    ini,
  });
  const adminAuth = `Basic ${Buffer.from(`${couch.user}:${couch.password}`).toString('base64')}`;
  const admin = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${couch.url}${route}`, {
      method,
      headers: { authorization: adminAuth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok && res.status !== 412) throw new Error(`${method} ${route}: ${res.status}`);
    return res.json() as Promise<unknown>;
  };
  try {
    const basic = createBasicUserAuth(randomBytes(32).toString('hex'));
    const jwt = createJwtUserAuth({
      signingKey: parseJwtSigningKey(fs.readFileSync(key.file, 'utf8')),
      keyId: 'attache',
    });
    const users = Array.from({ length: USERS }, (_, i) => `bench.user-${i}`);
    progress(`creating ${USERS} accounts and databases`);
    for (const user of users) {
      const db = userDbNames(user).briefings;
      await admin('PUT', `/${db}?q=1`);
      await admin('PUT', `/${db}/_security`, {
        admins: { names: [], roles: [] },
        members: { names: [user], roles: [] },
      });
      const account = basic.account(user);
      if (!account) throw new Error('basic mode names an account');
      await admin('PUT', `/_users/org.couchdb.user:${encodeURIComponent(user)}`, {
        name: user,
        password: account.password,
        roles: [],
        type: 'user',
      });
    }
    const proxyHeaders = (user: string) => ({
      'x-auth-couchdb-username': user,
      'x-auth-couchdb-roles': '',
      'x-auth-couchdb-token': createHmac('sha256', PROXY_SECRET).update(user).digest('hex'),
    });
    const headersFor = async (mode: Mode, user: string): Promise<Record<string, string>> => {
      if (mode === 'proxy') return proxyHeaders(user);
      const auth: UserAuth = mode === 'basic' ? basic : jwt;
      return { authorization: await auth.authorization(user) };
    };
    const read = async (mode: Mode, user: string): Promise<number> => {
      const headers = await headersFor(mode, user);
      const started = performance.now();
      const res = await fetch(`${couch.url}/${userDbNames(user).briefings}`, {
        headers,
        dispatcher: agent,
      } as RequestInit);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${mode} as ${user}: HTTP ${res.status}`);
      return performance.now() - started;
    };
    const run = async (mode: Mode, list: string[], concurrency: number): Promise<Phase> => {
      const times: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < list.length) {
            const user = list[next] ?? '';
            next += 1;
            times.push(await read(mode, user));
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      times.sort((a, b) => a - b);
      return { rps: list.length / seconds, p50: quantile(times, 0.5), p95: quantile(times, 0.95) };
    };
    const results = new Map<Mode, { cold: Phase; warm: Phase }>();
    for (const mode of ['jwt', 'proxy', 'basic'] as const) {
      progress(`${mode}: cold (each user once, one at a time)`);
      const cold = await run(mode, users, 1);
      progress(`${mode}: warm (${ROUNDS} rounds over ${USERS} users, ${CONCURRENCY} at a time)`);
      const warm = await run(mode, Array.from({ length: ROUNDS }, () => users).flat(), CONCURRENCY);
      results.set(mode, { cold, warm });
    }
    const base = results.get('jwt');
    if (!base) throw new Error('no jwt result');
    const fmt = (p: Phase, b: Phase) =>
      `${p.rps.toFixed(0).padStart(6)} req/s (x${(p.rps / b.rps).toFixed(2)} of jwt), p50 ${p.p50.toFixed(1)} ms, p95 ${p.p95.toFixed(1)} ms`;
    console.log(
      `\nApache CouchDB 3.5.0, ${USERS} users; cold: each user's first request, one at a time; warm: ${ROUNDS} rounds, ${CONCURRENCY} concurrent`,
    );
    for (const [mode, r] of results) {
      console.log(`${mode.padEnd(6)} cold ${fmt(r.cold, base.cold)}`);
      console.log(`${''.padEnd(6)} warm ${fmt(r.warm, base.warm)}`);
    }
  } finally {
    await agent.close();
    await couch.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
