// Returns flow back to the SOR exactly once in effect: a read receipt a device writes into its
// returns database reaches the SOR; a crash between the SOR write and the checkpoint sends it
// again, and the SOR's idempotency key makes that second write a no-op. Nothing is taken on
// trust: the database refuses what no device writes, the broker limits how much one person
// sends, and the integrator sends only returns on briefings shared with their author.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDbUpdatesFeed } from '../../../server/src/couch/control-db.js';
import type { CouchClient } from '../../../server/src/couch/types.js';
import { createMetrics } from '../../../server/src/observability/metrics.js';
import type { Lease } from '../../../server/src/lease/lease.js';
import {
  createCouchCheckpoints,
  createReturnsIntegrator,
  returnIdempotencyKey,
} from '../../../server/src/returns/returns-integrator.js';
import type { ReturnsCheckpoints } from '../../../server/src/returns/returns-integrator.js';
import { SOR_API_PREFIX } from '../../../server/src/sor/sor-contract.js';
import { createRestSorAdapter } from '../../../server/src/sor/sor.rest.js';
import type { SorAdapter, SorReturn } from '../../../server/src/sor/types.js';
import { RETURNS_VALIDATE } from '../../../server/src/returns/shapes/returns-validate.js';
import { couchClientFor } from './couch-socket.js';
import { TEST_BACKEND_VAR } from '../../support/couchdb.js';
import { eventually } from '../../support/eventually.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

type StoredReturn = { idempotencyKey: string; userId: string; sorId: string; type: string };
type AuditLine = { action: string; user: string | null; [field: string]: unknown };

/** A read receipt as the device writes it (briefings-service.ts), read now unless told. */
const receipt = (author: string, sorId: string, extra: Record<string, unknown> = {}) => ({
  type: 'read-receipt',
  briefingId: `briefing:${sorId}`,
  sorId,
  sourceVersion: 1,
  readAt: new Date().toISOString(),
  author,
  ...extra,
});
const receiptId = () => `read-receipt:${randomUUID()}`;
const returnsPath = (id: string) => `/db/returns/${encodeURIComponent(id)}`;

function auditLines(h: Harness): AuditLine[] {
  return fs
    .readFileSync(h.server.files.auditLog, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditLine);
}

/** The value of one series of a counter on the ops server's /metrics. */
async function metric(h: Harness, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${h.server.urls.ops}/metrics`)).text();
  const series = `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no series ${series} in /metrics`);
  return Number(line.slice(series.length + 1));
}

async function storedReturns(h: Harness): Promise<StoredReturn[]> {
  return ((await h.admin('GET', '/returns')).body as { returns: StoredReturn[] }).returns;
}

/** The SOR adapter the server itself uses, on the harness's demo SOR. */
const restSor = (h: Harness): SorAdapter =>
  createRestSorAdapter({
    baseUrl: `${h.server.urls.sor}${SOR_API_PREFIX}`,
    token: h.adminToken,
    timeoutMs: 5_000,
  });

async function shareAndDeliver(h: Harness, title: string, users: string[]): Promise<string> {
  const created = await h.admin('POST', '/briefings', briefingInput(title, users));
  const sorId = (created.body as { sorId: string }).sorId;
  for (const user of users) {
    const token = await h.devToken(user);
    await waitFor(`${sorId} delivered to ${user}`, async () =>
      (await h.broker(`/db/briefings/${encodeURIComponent(`briefing:${sorId}`)}`, { token }))
        .status === 200
        ? true
        : undefined,
    );
  }
  return sorId;
}

const heldLease: Lease = {
  name: 'returns',
  isHeld: () => true,
  tick: () => Promise.resolve(true),
  data: () => ({}),
  update: () => Promise.resolve(),
  start: () => undefined,
  stop: () => Promise.resolve(),
};
const silentAudit = { record: () => undefined, close: () => Promise.resolve() };

describe('returns integrator in the running server', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seedDemoData: false, returnsIntervalMs: 100 });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('brings a read receipt written through the broker back to the SOR, once', async () => {
    const user = 'rita.okafor';
    const sorId = await shareAndDeliver(h, 'Read me', [user]);
    const token = await h.devToken(user);
    const id = receiptId();
    const put = await h.broker(returnsPath(id), {
      method: 'PUT',
      token,
      body: receipt(user, sorId),
    });
    expect(put.status).toBe(201);
    const stored = await waitFor('the return in the SOR', async () => {
      const list = await storedReturns(h);
      return list.length > 0 ? list : undefined;
    });
    expect(stored).toEqual([
      expect.objectContaining({
        idempotencyKey: returnIdempotencyKey(user, id),
        userId: user,
        sorId,
        type: 'read-receipt',
      }),
    ]);
    // Later passes must not send it again. Rather than wait some time, wait for a later return
    // to reach the SOR: the integrator read past the first one to get there, and would have sent
    // it again on the way had its checkpoint not moved.
    const later = receiptId();
    const putLater = await h.broker(returnsPath(later), {
      method: 'PUT',
      token,
      body: receipt(user, sorId),
    });
    expect(putLater.status).toBe(201);
    const both = await waitFor('the later return in the SOR', async () => {
      const list = await storedReturns(h);
      return list.length > 1 ? list : undefined;
    });
    expect(both.map((r) => r.idempotencyKey).sort()).toEqual(
      [returnIdempotencyKey(user, id), returnIdempotencyKey(user, later)].sort(),
    );
    // The SOR would absorb a second send by its idempotency key; the audit trail records each.
    await eventually(() => {
      const writes = auditLines(h).filter((l) => l.action === 'returns.write' && l.docId === id);
      expect(writes).toEqual([expect.objectContaining({ timeJudged: 'return-time' })]);
    });
  });

  it('refuses, through the broker and on CouchDB itself, every return no device writes', async () => {
    const user = 'uma.reyes';
    const sorId = await shareAndDeliver(h, 'Validation', [user]);
    const token = await h.devToken(user);
    const { returns } = h.dbNames(user);
    const invalid: [string, Record<string, unknown>, string][] = [
      ['unknown fields', receipt(user, sorId, { comment: 'x' }), 'Unknown field comment'],
      [
        '3.5 MiB of extra fields',
        receipt(user, sorId, { padding: 'x'.repeat(3.5 * 1024 * 1024) }),
        'Unknown field padding',
      ],
      [
        'an inline attachment of 3 MiB (base64)',
        receipt(user, sorId, {
          _attachments: {
            'evil.pdf': { content_type: 'application/pdf', data: 'QUFB'.repeat(786_432) },
          },
        }),
        'Returns carry no attachments.',
      ],
      ['a missing field', receipt(user, sorId, { readAt: undefined }), 'readAt is required.'],
    ];
    const before = await metric(h, 'attache_returns_refused_total', {
      where: 'broker',
      reason: 'invalid',
    });
    for (const [what, body, reason] of invalid) {
      const id = receiptId();
      const viaBroker = await h.broker(returnsPath(id), { method: 'PUT', token, body });
      expect(viaBroker.status, what).toBe(403);
      expect(viaBroker.body, what).toMatchObject({ error: 'forbidden' });
      const direct = await h.couchAs(user, 'PUT', `/${returns}/${encodeURIComponent(id)}`, body);
      expect(direct.status, `${what}, straight to CouchDB`).toBe(403);
      expect(JSON.stringify(direct.body), what).toContain(reason);
      expect((await h.couchAs(user, 'GET', `/${returns}/${encodeURIComponent(id)}`)).status).toBe(
        404,
      );
      await waitFor(`audit record of ${what}`, () =>
        Promise.resolve(
          auditLines(h).some(
            (r) =>
              r.action === 'returns.invalid' &&
              r.user === user &&
              r['docId'] === id &&
              String(r['reason']).includes(reason),
          ) || undefined,
        ),
      );
    }
    // An id of another form, and the same refusals inside a replication-style bulk write: each
    // malformed document is refused on its own, the well-formed one is stored.
    const good = receiptId();
    const extra = receiptId();
    const bulk = await h.broker('/db/returns/_bulk_docs', {
      method: 'POST',
      token,
      body: {
        docs: [
          { _id: 'receipt-1', ...receipt(user, sorId) },
          { _id: extra, ...receipt(user, sorId, { extra: true }) },
          { _id: good, ...receipt(user, sorId) },
        ],
      },
    });
    expect(bulk.status).toBe(201);
    // Matched by id: express-pouchdb does not always answer in request order.
    const answers = new Map(
      (bulk.body as { id: string; error?: string }[]).map((r) => [r.id, r.error ?? 'ok']),
    );
    expect(answers.get('receipt-1')).toBe('forbidden');
    expect(answers.get(extra)).toBe('forbidden');
    expect(answers.get(good)).toBe('ok');
    expect(
      await metric(h, 'attache_returns_refused_total', { where: 'broker', reason: 'invalid' }),
    ).toBe(before + invalid.length + 2);
  });

  it('sends only returns on briefings shared with their author when written, and passes over the rest for good', async () => {
    const user = 'vera.lind';
    const other = 'walt.mensah';
    const mine = await shareAndDeliver(h, 'Shared, then unshared', [user]);
    const notMine = await shareAndDeliver(h, 'Never shared with Vera', [other]);
    const token = await h.devToken(user);
    // Read on the device while shared, offline; the unshare happens before the device is back.
    const readBeforeUnshare = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await h.admin('POST', `/briefings/${mine}/unshare`, { users: [user] })).status).toBe(
      200,
    );
    await waitFor('the unshare delivered', async () =>
      (await h.broker(`/db/briefings/${encodeURIComponent(`briefing:${mine}`)}`, { token }))
        .status === 404
        ? true
        : undefined,
    );
    // Only the server's clock matters for "now"; an hour is beyond any allowed skew.
    const afterUnshare = new Date(Date.now() + 60 * 60_000).toISOString();
    const ids = {
      offline: receiptId(),
      afterUnshare: receiptId(),
      neverShared: receiptId(),
      noBriefing: receiptId(),
    };
    const bodies = {
      offline: receipt(user, mine, { readAt: readBeforeUnshare }),
      afterUnshare: receipt(user, mine, { readAt: afterUnshare }),
      neverShared: receipt(user, notMine),
      noBriefing: receipt(user, 'BRF-999999'),
    };
    const refusedBefore = {
      notShared: await metric(h, 'attache_returns_refused_total', {
        where: 'integrator',
        reason: 'not_shared',
      }),
      noBriefing: await metric(h, 'attache_returns_refused_total', {
        where: 'integrator',
        reason: 'no_briefing',
      }),
    };
    for (const key of ['afterUnshare', 'neverShared', 'noBriefing', 'offline'] as const) {
      const put = await h.broker(returnsPath(ids[key]), {
        method: 'PUT',
        token,
        body: bodies[key],
      });
      expect(put.status, key).toBe(201);
    }

    await waitFor(
      'the offline receipt in the SOR',
      async () =>
        (await storedReturns(h)).some(
          (r) => r.idempotencyKey === returnIdempotencyKey(user, ids.offline),
        ) || undefined,
    );
    // One more return after the refused ones, to see later passes go past them.
    const later = receiptId();
    const stillMine = await shareAndDeliver(h, 'Shared again', [user]);
    expect(
      (await h.broker(returnsPath(later), { method: 'PUT', token, body: receipt(user, stillMine) }))
        .status,
    ).toBe(201);
    await waitFor(
      'the later receipt in the SOR',
      async () =>
        (await storedReturns(h)).some(
          (r) => r.idempotencyKey === returnIdempotencyKey(user, later),
        ) || undefined,
    );

    const sent = (await storedReturns(h)).filter((r) => r.userId === user);
    expect(sent.map((r) => r.idempotencyKey).sort()).toEqual(
      [returnIdempotencyKey(user, ids.offline), returnIdempotencyKey(user, later)].sort(),
    );
    const rejected = auditLines(h).filter(
      (r) => r.action === 'returns.rejected' && r.user === user,
    );
    // Each refused once: the checkpoint moved past them, nothing is retried.
    expect(rejected.map((r) => [r['docId'], r['refusal']]).sort()).toEqual(
      [
        [ids.afterUnshare, 'not_shared'],
        [ids.neverShared, 'not_shared'],
        [ids.noBriefing, 'no_briefing'],
      ].sort(),
    );
    expect(rejected.every((r) => r.decision === 'refused')).toBe(true);
    expect(
      await metric(h, 'attache_returns_refused_total', {
        where: 'integrator',
        reason: 'not_shared',
      }),
    ).toBe(refusedBefore.notShared + 2);
    expect(
      await metric(h, 'attache_returns_refused_total', {
        where: 'integrator',
        reason: 'no_briefing',
      }),
    ).toBe(refusedBefore.noBriefing + 1);
  });
});

describe('how many returns one person may send', () => {
  let h: Harness;
  const user = 'xavi.ortiz';
  beforeAll(async () => {
    h = await startHarness({
      seedDemoData: false,
      returnsEnabled: false,
      returnsMaxPerHour: 100,
      returnsMaxPerRequest: 50,
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const batch = (count: number) => ({
    docs: Array.from({ length: count }, () => ({
      _id: receiptId(),
      ...receipt(user, 'BRF-000001'),
    })),
  });

  it('refuses 2,000 returns in one request, and more than the hourly allowance with Retry-After', async () => {
    const token = await h.devToken(user);
    const huge = await h.broker('/db/returns/_bulk_docs', {
      method: 'POST',
      token,
      body: batch(2_000),
    });
    expect(huge.status).toBe(413);
    expect(huge.body).toEqual({ error: 'payload_too_large' });
    const firstSent = Date.now();
    for (let n = 0; n < 2; n += 1) {
      const ok = await h.broker('/db/returns/_bulk_docs', {
        method: 'POST',
        token,
        body: batch(50),
      });
      expect(ok.status).toBe(201);
    }
    const over = await h.broker('/db/returns/_bulk_docs', {
      method: 'POST',
      token,
      body: batch(1),
    });
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ error: 'too_many_requests' });
    // One document's room comes back after 36 s at 100 an hour, less what has refilled since
    // the allowance was spent (the bucket refills continuously; a busy machine takes seconds).
    const refilledSec = Math.ceil((Date.now() - firstSent) / 1000);
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeLessThanOrEqual(36);
    expect(retryAfter).toBeGreaterThanOrEqual(36 - refilledSec);
    const allDocs = await h.couchAs(user, 'GET', `/${h.dbNames(user).returns}/_all_docs`);
    expect(
      (allDocs.body as { rows: { id: string }[] }).rows.filter((r) => !r.id.startsWith('_')),
    ).toHaveLength(100);

    await waitFor('both refusals in the audit trail', () =>
      Promise.resolve(
        (['over the limit of 50', 'would exceed 100 an hour'] as const).every((reason) =>
          auditLines(h).some(
            (r) =>
              r.action === 'broker.request' &&
              r.decision === 'refused' &&
              r.user === user &&
              String(r['reason']).includes(reason),
          ),
        ) || undefined,
      ),
    );
    expect(
      await metric(h, 'attache_returns_refused_total', {
        where: 'broker',
        reason: 'request_limit',
      }),
    ).toBe(1);
    expect(
      await metric(h, 'attache_returns_refused_total', { where: 'broker', reason: 'hourly_limit' }),
    ).toBe(1);
  });
});

describe('a returns database set up by the previous release', () => {
  // The validation the release before this one installed: any extra field, any id, attachments.
  const PREVIOUS_RETURNS_VALIDATE = `function (newDoc, oldDoc, userCtx) {
  if (userCtx.roles.indexOf('_admin') !== -1) return;
  var allowed = ["read-receipt"];
  if (newDoc._deleted) throw({ forbidden: 'Returns cannot be deleted.' });
  if (allowed.indexOf(newDoc.type) === -1) throw({ forbidden: 'Only these document types may be written here: ' + allowed.join(', ') + '.' });
  if (newDoc.author !== userCtx.name) throw({ forbidden: 'The author must be the signed-in user.' });
  if (oldDoc && oldDoc.author !== userCtx.name) throw({ forbidden: 'Only the author may change this document.' });
  if (newDoc.type === 'read-receipt') {
    if (typeof newDoc.briefingId !== 'string' || newDoc.briefingId === '') throw({ forbidden: 'briefingId is required.' });
    if (typeof newDoc.sorId !== 'string' || newDoc.sorId === '') throw({ forbidden: 'sorId is required.' });
    if (typeof newDoc.sourceVersion !== 'number' || newDoc.sourceVersion < 1 || newDoc.sourceVersion % 1 !== 0) throw({ forbidden: 'sourceVersion must be a positive integer.' });
    if (typeof newDoc.readAt !== 'string' || newDoc.readAt === '') throw({ forbidden: 'readAt is required.' });
  }
}`;
  let h: Harness;
  const user = 'yara.haddad';
  beforeAll(async () => {
    h = await startHarness({ seedDemoData: false, returnsEnabled: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('gets the new validation at the first request after the upgrade', async () => {
    const token = await h.devToken(user);
    expect((await h.broker('/db/returns', { token })).status).toBe(200); // databases set up
    const admin = () => couchClientFor(h.server, h.couchAdminCredentials);
    const db = h.dbNames(user).returns;
    const design = await admin().getDoc(db, '_design/attache');
    await admin().putDoc(db, { ...design!, validate_doc_update: PREVIOUS_RETURNS_VALIDATE });
    const padded = receipt(user, 'BRF-000001', { padding: 'x'.repeat(100_000) });
    // What the previous release let in (the gap this change closes).
    expect(
      (await h.couchAs(user, 'PUT', `/${db}/${encodeURIComponent('receipt-old')}`, padded)).status,
    ).toBe(201);

    await h.restart();
    const refused = await h.broker(returnsPath(receiptId()), {
      method: 'PUT',
      token,
      body: padded,
    });
    expect(refused.status).toBe(403);
    // (The embedded server listens on a new port after the restart.)
    expect((await admin().getDoc(db, '_design/attache'))?.['validate_doc_update']).toBe(
      RETURNS_VALIDATE,
    );
    // A receipt as the device writes it still goes in, and the old document is still there.
    expect(
      (
        await h.broker(returnsPath(receiptId()), {
          method: 'PUT',
          token,
          body: receipt(user, 'BRF-000001'),
        })
      ).status,
    ).toBe(201);
    expect((await h.couchAs(user, 'GET', `/${db}/receipt-old`)).status).toBe(200);
  });
});

describe('returns integrator across a crash between the SOR write and the checkpoint', () => {
  let h: Harness;
  let couch: CouchClient;
  let sor: SorAdapter;
  const users = ['sam.ito', 'tess.varga'];
  const ids = new Map(users.map((user) => [user, [0, 1, 2, 3, 4].map(() => receiptId())]));

  beforeAll(async () => {
    h = await startHarness({ seedDemoData: false, returnsEnabled: false });
    couch = couchClientFor(h.server, h.couchAdminCredentials);
    sor = restSor(h);
    const created = await h.admin('POST', '/briefings', briefingInput('Crash test', users));
    const sorId = (created.body as { sorId: string }).sorId;
    for (const user of users) {
      const token = await h.devToken(user);
      await waitFor('delivery', async () =>
        (await h.broker(`/db/briefings/${encodeURIComponent(`briefing:${sorId}`)}`, { token }))
          .status === 200
          ? true
          : undefined,
      );
      for (const id of ids.get(user)!) {
        const res = await h.broker(returnsPath(id), {
          method: 'PUT',
          token,
          body: receipt(user, sorId),
        });
        expect(res.status).toBe(201);
      }
    }
    // An entry no device could write (CouchDB refuses it from users); the admin can: it must be
    // refused by the integrator, not sent.
    await couch.putDoc(h.dbNames(users[0]!).returns, {
      _id: receiptId(),
      ...receipt('someone-else', sorId),
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('sends each return once in effect, however often it is sent', async () => {
    const writes: { key: string; outcome: string }[] = [];
    const recordingSor: SorAdapter = {
      ...sor,
      writeReturn: async (item: SorReturn) => {
        const outcome = await sor.writeReturn(item);
        writes.push({ key: item.idempotencyKey, outcome });
        return outcome;
      },
    };
    const real = createCouchCheckpoints(couch);
    const integrator = (checkpoints: ReturnsCheckpoints) =>
      createReturnsIntegrator({
        couch,
        sor: recordingSor,
        lease: heldLease,
        audit: silentAudit,
        metrics: createMetrics({
          queueDepth: () => Promise.resolve({ ready: 0, leased: 0, dead: 0 }),
        }),
        checkpoints,
        intervalMs: 100,
        maxBackoffMs: 1_000,
        pageSize: 3,
        clockSkewMs: 300_000,
      });

    // First run: every SOR write succeeds, then the process "dies" before any checkpoint lands.
    const crashing: ReturnsCheckpoints = {
      read: (db) => real.read(db),
      save: () => Promise.reject(new Error('killed between the SOR write and the checkpoint')),
    };
    await expect(integrator(crashing).runOnce()).rejects.toThrow('killed');
    const firstRun = writes.splice(0);
    expect(firstRun.length).toBeGreaterThanOrEqual(3);
    expect(firstRun.every((w) => w.outcome === 'stored')).toBe(true);

    // The restart sends them again: the SOR recognises every one already stored.
    const sent = await integrator(real).runOnce();
    const secondRun = writes.splice(0);
    expect(secondRun.length).toBe(10);
    for (const w of secondRun) {
      expect(w.outcome).toBe(firstRun.some((f) => f.key === w.key) ? 'duplicate' : 'stored');
    }
    expect(sent).toBe(10 - firstRun.length);

    // In effect: exactly one return per receipt in the SOR, and nothing forged.
    const stored = ((await h.admin('GET', '/returns')).body as { returns: StoredReturn[] }).returns;
    expect(stored.map((r) => r.idempotencyKey).sort()).toEqual(
      users.flatMap((u) => ids.get(u)!.map((id) => returnIdempotencyKey(u, id))).sort(),
    );

    // Checkpointed now: a further pass sends nothing.
    expect(await integrator(real).runOnce()).toBe(0);
    expect(writes).toEqual([]);
  });
});

describe('returns integrator driven by which databases are written', () => {
  let h: Harness;
  let couch: CouchClient;
  let sor: SorAdapter;
  const users = ['uma.reyes', 'viktor.lind'];
  let sorId = '';

  beforeAll(async () => {
    h = await startHarness({ seedDemoData: false, returnsEnabled: false });
    couch = couchClientFor(h.server, h.couchAdminCredentials);
    sor = restSor(h);
    sorId = await shareAndDeliver(h, 'Activity', users);
    // As the server's pipeline does before it starts the integrator: Apache CouchDB set up by
    // hand (as the tests' is) has no `_global_changes` database until this makes it.
    const feed = await ensureDbUpdatesFeed(couch);
    expect(feed).toBe(process.env[TEST_BACKEND_VAR] === 'couchdb' ? 'created' : 'ready');
    expect(await ensureDbUpdatesFeed(couch)).toBe('ready');
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('reads every database once, then only those written, and all again after a failure', async () => {
    let listings = 0;
    const counting: CouchClient = {
      ...couch,
      allDbs: () => {
        listings += 1;
        return couch.allDbs();
      },
    };
    const sent: string[] = [];
    let failNext = false;
    const recordingSor: SorAdapter = {
      ...sor,
      writeReturn: async (item: SorReturn) => {
        if (failNext) {
          failNext = false;
          throw new Error('the SOR is unreachable for a moment');
        }
        const outcome = await sor.writeReturn(item);
        sent.push(item.idempotencyKey);
        return outcome;
      },
    };
    const integrator = createReturnsIntegrator({
      couch: counting,
      sor: recordingSor,
      lease: heldLease,
      audit: silentAudit,
      metrics: createMetrics({
        queueDepth: () => Promise.resolve({ ready: 0, leased: 0, dead: 0 }),
      }),
      checkpoints: createCouchCheckpoints(couch),
      intervalMs: 100,
      maxBackoffMs: 500,
      // Far away: only the start and failures read every database in this test.
      sweepIntervalMs: 600_000,
      feedWaitMs: 2_000,
      clockSkewMs: 300_000,
    });
    const write = async (user: string) => {
      const id = receiptId();
      const res = await h.broker(returnsPath(id), {
        method: 'PUT',
        token: await h.devToken(user),
        body: receipt(user, sorId),
      });
      expect(res.status).toBe(201);
      return returnIdempotencyKey(user, id);
    };
    integrator.start();
    try {
      await eventually(() => expect(integrator.sweeps()).toBe(1), { what: 'the first pass' });

      // Written after the first pass: the feed names these two databases, nothing else is read.
      const first = await Promise.all(users.map(write));
      await eventually(() => expect(sent).toEqual(expect.arrayContaining(first)), {
        timeout: 15_000,
        what: 'both returns in the SOR through the feed',
      });
      expect(integrator.sweeps()).toBe(1);
      expect(listings).toBe(1);

      // A failure may have let the feed move past a write: every database is read again.
      failNext = true;
      const second = await write(users[0]!);
      await eventually(() => expect(sent).toContain(second), {
        timeout: 15_000,
        what: 'the return that failed once, in the SOR',
      });
      expect(integrator.sweeps()).toBe(2);
      expect(listings).toBe(2);
      // Once each, in effect: nothing was sent twice as stored.
      const stored = await storedReturns(h);
      for (const key of [...first, second]) {
        expect(stored.filter((r) => r.idempotencyKey === key)).toHaveLength(1);
      }
    } finally {
      await integrator.stop();
    }
  });
});
