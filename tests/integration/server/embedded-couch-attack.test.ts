// The embedded CouchDB-protocol server under attack (issue 9), on a real server: the matrix of
// embedded-couch-matrix.ts (every name spelling express-pouchdb rewrites, every endpoint and
// method it has) with no credentials, a user's and the service admin's, sent straight to its
// Unix socket as anyone on the machine who reached it would. Everything a user may not do is
// refused at the front door with a uniform answer; nothing leaks; no design document or security
// object is written; requests that used to end the process are answered; and a killed embedded
// server comes back while the rest of the server stays up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import cleanFilename from 'express-pouchdb/lib/clean-filename.js';
import { CONTROL_DB } from '../../../server/src/couch/control-db.js';
import type { CouchClient } from '../../../server/src/couch/types.js';
import { deriveCouchPassword } from '../../../server/src/user-dbs/user-dbs.js';
import { basic, couchClientFor, couchRequest } from './couch-socket.js';
import type { CouchReply } from './couch-socket.js';
import {
  CRASHING_CHANGES,
  DATABASE_PROBES,
  SERVER_PROBES,
  USER_ALLOWED,
  WINDOWS_DEVICE_NAMES,
  deviceNameSpellings,
  hostileSpellings,
} from './embedded-couch-matrix.js';
import type { Probe } from './embedded-couch-matrix.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const A = 'ava.lindqvist';
const B = 'ben.okafor';
const SECRET_TITLE_B = 'For Ben only: the merger terms';
const UNIFORM = new Set([
  '{"error":"unauthorized","reason":"Not allowed on this server."}',
  '{"error":"forbidden","reason":"Not allowed on this server."}',
  '{"error":"bad_request","reason":"Not allowed on this server."}',
]);

type Who = 'nobody' | 'user' | 'admin';

let h: Harness;
let admin: CouchClient & { close(): Promise<void> };
let auth: Record<Who, string | undefined>;
let docOf: Record<string, string>;
let childPid: number | null;
/** Databases whose design documents, security objects and ids must not change. */
let watched: string[];
let before: Map<string, unknown>;

function fill(template: string, db: string): string {
  return template
    .replaceAll('{db}', db)
    .replaceAll('{doc}', encodeURIComponent(docOf[db] ?? 'none'));
}

function send(probe: Probe, db: string, who: Who): Promise<CouchReply> {
  const body =
    probe.body === undefined
      ? undefined
      : typeof probe.body === 'string'
        ? probe.body
        : fill(JSON.stringify(probe.body), db);
  return couchRequest(h.server.couch.socketPath ?? '', probe.method, fill(probe.path, db), {
    ...(auth[who] ? { authorization: auth[who] } : {}),
    ...(body === undefined ? {} : { body }),
    ...(probe.headers ? { headers: { ...probe.headers } } : {}),
  });
}

/** Refused at the front door: 400/401/403 with one of its uniform bodies (HEAD has none). */
function expectRefused(reply: CouchReply, what: string): void {
  expect([400, 401, 403], `${what}: ${reply.status} ${reply.text}`).toContain(reply.status);
  if (reply.text !== '')
    expect(UNIFORM.has(reply.text.trim()), `${what}: ${reply.text}`).toBe(true);
}

/** Runs `tasks` a few at a time (the matrix is thousands of requests). */
async function inBatches<T>(tasks: (() => Promise<T>)[], width = 8): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < tasks.length; i += width) {
    results.push(...(await Promise.all(tasks.slice(i, i + width).map((task) => task()))));
  }
  return results;
}

/** Ids the matrix tries to write. */
const PLANTED = ['posted', 'ordinary-id', '_design/planted', 'stolen'];

/**
 * What must not change: the documents of each database (the control database gets returns
 * checkpoints from the running pipeline meanwhile: there only design documents count), its
 * security object, and no document the matrix tries to plant.
 */
async function snapshot(): Promise<Map<string, unknown>> {
  const state = new Map<string, unknown>();
  for (const db of watched) {
    const all = await couchRequest(h.server.couch.socketPath ?? '', 'GET', `/${db}/_all_docs`, {
      authorization: auth.admin,
    });
    const ids = (JSON.parse(all.text) as { rows: { id: string }[] }).rows.map((r) => r.id);
    state.set(`${db} ids`, db === CONTROL_DB ? ids.filter((id) => id.startsWith('_')) : ids);
    state.set(
      `${db} planted`,
      ids.filter((id) => PLANTED.includes(id)),
    );
    state.set(`${db} security`, await admin.getSecurity(db));
    state.set(`${db} _local/_security`, await admin.getDoc(db, '_local/_security'));
  }
  return state;
}

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false });
  const secrets = JSON.parse(fs.readFileSync(h.server.files.serverSecrets, 'utf8')) as {
    couchAdmin: { username: string; password: string };
  };
  admin = couchClientFor(h.server, secrets.couchAdmin);
  auth = {
    nobody: undefined,
    user: basic({ username: A, password: deriveCouchPassword(h.serviceSecret, A) }),
    admin: basic(secrets.couchAdmin),
  };
  const shared = await h.admin('POST', '/briefings', briefingInput('For both', [A, B]));
  const onlyB = await h.admin('POST', '/briefings', briefingInput(SECRET_TITLE_B, [B]));
  const sorIdBoth = (shared.body as { sorId: string }).sorId;
  const sorIdB = (onlyB.body as { sorId: string }).sorId;
  await waitFor('delivery to both', async () => {
    const [a, b] = await Promise.all([
      admin.getDoc(h.dbNames(A).briefings, `briefing:${sorIdBoth}`),
      admin.getDoc(h.dbNames(B).briefings, `briefing:${sorIdB}`),
    ]);
    return a && b ? true : undefined;
  });
  docOf = {
    [h.dbNames(A).briefings]: `briefing:${sorIdBoth}`,
    [h.dbNames(B).briefings]: `briefing:${sorIdB}`,
    [CONTROL_DB]: 'lease:poller',
    _users: `org.couchdb.user:${B}`,
  };
  watched = [
    h.dbNames(A).briefings,
    h.dbNames(A).returns,
    h.dbNames(B).briefings,
    h.dbNames(B).returns,
    CONTROL_DB,
    '_users',
  ];
  before = await snapshot();
  childPid = h.server.couch.embedded?.pid() ?? null;
});
afterAll(async () => {
  await admin?.close();
  await h?.stop();
});

describe('the embedded CouchDB-protocol server, reached directly', () => {
  it('refuses every request without credentials (401), and the broker’s own user credentials work', async () => {
    const replies = await inBatches(
      [...SERVER_PROBES.map((p) => () => send(p, '', 'nobody'))].concat(
        watched.flatMap((db) => DATABASE_PROBES.map((p) => () => send(p, db, 'nobody'))),
      ),
    );
    for (const reply of replies) {
      expect(reply.status).toBe(401);
      if (reply.text !== '') expect(UNIFORM.has(reply.text.trim())).toBe(true);
    }
    expect(replies.length).toBeGreaterThan(300);
    const own = await send({ method: 'GET', path: '/{db}' }, h.dbNames(A).briefings, 'user');
    expect(own.status).toBe(200);
    // The admin's name with a wrong password is nobody.
    const wrong = await couchRequest(h.server.couch.socketPath ?? '', 'GET', '/_session', {
      authorization: basic({ username: 'attache-service', password: 'guess' }),
    });
    expect(wrong.status).toBe(401);
  });

  it('gives a user only the broker’s endpoints, only on their own two databases', async () => {
    const own = [h.dbNames(A).briefings, h.dbNames(A).returns];
    const allowed = new Set(USER_ALLOWED.map((p) => `${p.method} ${p.path}`));
    for (const db of watched) {
      for (const probe of DATABASE_PROBES) {
        const reply = await send(probe, db, 'user');
        const what = `${probe.method} ${fill(probe.path, db)} as ${A}`;
        if (own.includes(db) && allowed.has(`${probe.method} ${probe.path}`)) {
          expect([200, 404], `${what}: ${reply.status} ${reply.text}`).toContain(reply.status);
        } else if (own.includes(db) && probe.method === 'PUT' && probe.path === '/{db}/{doc}') {
          // A plain document write reaches CouchDB's validation, which refuses this one.
          expect(reply.status, what).toBe(403);
        } else {
          expectRefused(reply, what);
        }
        expect(reply.text, what).not.toContain(SECRET_TITLE_B);
        expect(reply.text, what).not.toContain('derived_key');
      }
    }
    for (const probe of SERVER_PROBES) {
      const reply = await send(probe, '', 'user');
      if (probe.method === 'GET' && probe.path === '/_session') {
        expect(JSON.parse(reply.text)).toMatchObject({ userCtx: { name: A } });
      } else expectRefused(reply, `${probe.method} ${probe.path} as ${A}`);
    }
  });

  it('refuses every spelling express-pouchdb would rewrite into a database name, to everyone', async () => {
    const targets = ['_users', CONTROL_DB, h.dbNames(B).briefings, h.dbNames(A).briefings];
    const probes = DATABASE_PROBES.filter((p) =>
      [
        'GET /{db}',
        'PUT /{db}',
        'GET /{db}/_all_docs?include_docs=true',
        'POST /{db}/_bulk_get',
        'POST /{db}/_find',
        'PUT /{db}/_local/_security',
        'PUT /{db}/_design/planted',
        'POST /{db}/_index',
      ].includes(`${p.method} ${p.path}`),
    );
    const tasks = targets.flatMap((target) =>
      hostileSpellings(target).flatMap((spelling) =>
        probes.flatMap((probe) =>
          (['user', 'admin'] as const).map((who) => async () => {
            const reply = await send(probe, spelling, who);
            return { reply, what: `${probe.method} ${fill(probe.path, spelling)} as ${who}` };
          }),
        ),
      ),
    );
    const results = await inBatches(tasks);
    expect(results.length).toBeGreaterThan(4000);
    for (const { reply, what } of results) {
      expect([400, 403], `${what}: ${reply.status} ${reply.text}`).toContain(reply.status);
      if (reply.text !== '') expect(UNIFORM.has(reply.text.trim()), what).toBe(true);
    }
  });

  it('refuses the Windows device names express-pouchdb opens wrapped in underscores (CON, NUL, COM1, LPT1, …), however spelled, to everyone', async () => {
    const mixedCase = (name: string) =>
      [...name].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join('');
    const devices = WINDOWS_DEVICE_NAMES.flatMap((name) => [
      name,
      name.toLowerCase(),
      mixedCase(name),
      `${name.toLowerCase()}.txt`,
    ]);
    // The matrix is right about express-pouchdb: each spelling opens the wrapped name.
    for (const device of devices) {
      for (const spelling of deviceNameSpellings(device)) {
        expect(cleanFilename(decodeURIComponent(spelling)), spelling).toBe(`__${device}__`);
      }
    }
    const spellings = new Set([
      ...devices.flatMap((device) => [device, `__${device}__`]),
      ...hostileSpellings('__con__'),
      ...hostileSpellings('__LPT1__'),
    ]);
    expect(spellings).toContain('c%3Aon');
    expect(spellings).toContain('LPT1%00');
    const probes = DATABASE_PROBES.filter((p) =>
      [
        'GET /{db}',
        'PUT /{db}',
        'PUT /{db}/_local/_security',
        'PUT /{db}/_design/planted',
      ].includes(`${p.method} ${p.path}`),
    );
    const tasks = [...spellings].flatMap((spelling) =>
      probes.flatMap((probe) =>
        (['nobody', 'user', 'admin'] as const).map((who) => async () => {
          const reply = await send(probe, spelling, who);
          return { reply, what: `${probe.method} ${fill(probe.path, spelling)} as ${who}` };
        }),
      ),
    );
    const results = await inBatches(tasks);
    expect(results.length).toBeGreaterThan(10_000);
    for (const { reply, what } of results) expectRefused(reply, what);
    // Nothing was created under a wrapped name.
    expect((await admin.allDbs()).filter((name) => name.startsWith('__'))).toEqual([]);
  });

  it('keeps server endpoints from the service admin too, except checking sessions, listing databases and following their updates', async () => {
    for (const probe of SERVER_PROBES) {
      const reply = await send(probe, '', 'admin');
      const what = `${probe.method} ${probe.path} as the service`;
      if (
        probe.method === 'GET' &&
        ['/_session', '/_all_dbs', '/_db_updates'].includes(probe.path.split('?')[0] ?? '')
      ) {
        expect(reply.status, what).toBe(200);
      } else expectRefused(reply, what);
    }
  });

  it('answers the _changes requests that used to end the process, and stays the same process', async () => {
    for (const db of [h.dbNames(A).briefings, h.dbNames(A).returns]) {
      for (const who of ['user', 'admin'] as const) {
        for (const probe of CRASHING_CHANGES) {
          const reply = await send(probe, db, who);
          expect(reply.status, `${probe.method} ${probe.path}`).toBeGreaterThanOrEqual(200);
        }
      }
    }
    // Give an unhandled rejection time to end the process, then check it did not.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(h.server.couch.embedded?.restarts()).toBe(0);
    expect(h.server.couch.embedded?.pid()).toBe(childPid);
    const after = await send({ method: 'GET', path: '/{db}' }, h.dbNames(A).briefings, 'user');
    expect(after.status).toBe(200);
  });

  it('afterwards: no design document, security object or document written; nothing restarted', async () => {
    expect(await snapshot()).toEqual(before);
    expect(h.server.couch.embedded?.restarts()).toBe(0);
    const token = await h.devToken(A);
    expect((await h.broker('/db/briefings', { token })).status).toBe(200);
    expect((await fetch(`${h.server.urls.ops}/healthz`)).status).toBe(200);
  });
});

describe('when the embedded server’s process dies', () => {
  it(
    'the server stays up, requests in flight end, and it comes back where sync resumes',
    {
      timeout: 120_000,
    },
    async () => {
      const token = await h.devToken(A);
      const pid = h.server.couch.embedded?.pid();
      expect(pid).toBeTypeOf('number');
      // A device's live feed, held open by the embedded server when it dies.
      const feed = h.broker('/db/briefings/_changes?feed=longpoll&since=now&timeout=60000', {
        token,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      process.kill(pid!, 'SIGKILL');
      // It ends (an answer, or the connection closed mid-answer), instead of hanging.
      const ended = await feed.then(
        (reply) => reply.status,
        () => 'closed',
      );
      expect([200, 502, 503, 'closed']).toContain(ended);
      // The rest of the server answers throughout.
      expect((await fetch(`${h.server.urls.ops}/healthz`)).status).toBeLessThan(600);
      await waitFor('the embedded server restarted', async () => {
        const now = h.server.couch.embedded?.pid();
        if (!now || now === pid) return undefined;
        const health = await fetch(`${h.server.urls.ops}/healthz`);
        return health.status === 200 ? true : undefined;
      });
      expect(h.server.couch.embedded?.restarts()).toBe(1);
      const res = await h.admin('POST', '/briefings', briefingInput('After the restart', [A]));
      const sorId = (res.body as { sorId: string }).sorId;
      await waitFor('a new briefing reaches the device through the broker', async () => {
        const all = await h.broker('/db/briefings/_all_docs', { token });
        const rows = (all.body as { rows?: { id: string }[] }).rows ?? [];
        return rows.some((r) => r.id === `briefing:${sorId}`) ? true : undefined;
      });
    },
  );
});
