// Users' data are separated twice: the broker only ever maps a token to its subject's own
// databases, and CouchDB itself refuses one user's credentials on another user's databases.
import fs from 'node:fs';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idpKeysFile } from '../../../server/src/demo/idp/signing-keys.js';
import { DEV_IDP } from '../../../src/shared/protocol.js';
import { eventually } from '../../support/eventually.js';
import { briefingInput, expectRefused, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const A = 'alice.nguyen';
const B = 'bob.stavros';
let h: Harness;
let tokenA: string;
let sharedWithB: string;

const docPath = (sorId: string) => encodeURIComponent(`briefing:${sorId}`);
const receipt = (author: string, extra: Record<string, unknown> = {}) => ({
  type: 'read-receipt',
  briefingId: `briefing:${sharedWithB}`,
  sorId: sharedWithB,
  sourceVersion: 1,
  readAt: new Date().toISOString(),
  author,
  ...extra,
});

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false });
  const a = await h.admin('POST', '/briefings', briefingInput('For Alice only', [A]));
  const b = await h.admin('POST', '/briefings', briefingInput('For Bob only', [B]));
  sharedWithB = (b.body as { sorId: string }).sorId;
  const sharedWithA = (a.body as { sorId: string }).sorId;
  tokenA = await h.devToken(A);
  const tokenB = await h.devToken(B);
  // Both users' databases exist and hold their briefing before the tests probe them.
  for (const [token, sorId] of [
    [tokenA, sharedWithA],
    [tokenB, sharedWithB],
  ] as const) {
    await waitFor(`${sorId} delivered`, async () =>
      (await h.broker(`/db/briefings/${docPath(sorId)}`, { token })).status === 200
        ? true
        : undefined,
    );
  }
});
afterAll(async () => {
  await h?.stop();
});

describe('through the broker', () => {
  it('maps a token only to its own subject’s data: B’s briefing is not found for A', async () => {
    expect(
      (await h.broker(`/db/briefings/${docPath(sharedWithB)}`, { token: tokenA })).status,
    ).toBe(404);
    const all = await h.broker('/db/briefings/_all_docs', { token: tokenA });
    expect(JSON.stringify(all.body)).not.toContain(sharedWithB);
    const changes = await h.broker('/db/briefings/_changes', { token: tokenA });
    expect(JSON.stringify(changes.body)).not.toContain(sharedWithB);
  });

  it('cannot be steered to another database by the path', async () => {
    const bDb = h.dbNames(B).briefings;
    for (const path of [
      `/db/briefings/../${bDb}/${docPath(sharedWithB)}`,
      `/db/briefings/%2e%2e/${bDb}/${docPath(sharedWithB)}`,
      `/db/briefings/..%2F${bDb}`,
      `/db/${bDb}/${docPath(sharedWithB)}`,
      `/${bDb}/${docPath(sharedWithB)}`,
    ]) {
      const res = await fetch(`${h.server.urls.broker}${path}`, {
        headers: { authorization: `Bearer ${tokenA}` },
      });
      expect([403, 404], path).toContain(res.status);
      expect(await res.text()).not.toContain('For Bob only');
    }
  });

  it('refuses tokens it did not issue, for another audience, expired, or missing', async () => {
    const issuer = h.server.urls.idp ?? '';
    const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .setSubject(B)
      .setIssuer(issuer)
      .setAudience(DEV_IDP.brokerAudience)
      .setExpirationTime('10m')
      .sign(foreign);
    // The provider's own key: these tokens differ from a valid one only where each says.
    const { keys } = JSON.parse(fs.readFileSync(idpKeysFile(h.dataDir), 'utf8')) as {
      keys: (JsonWebKey & { kid: string })[];
    };
    const ownKey = { kid: keys[0]!.kid, privateJwk: keys[0]! };
    const { importJWK } = await import('jose');
    const key = await importJWK(ownKey.privateJwk as Parameters<typeof importJWK>[0], 'ES256');
    const sign = (aud: string, exp: number) =>
      new SignJWT({ scope: DEV_IDP.syncScope })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: ownKey.kid })
        .setSubject(B)
        .setIssuer(issuer)
        .setAudience(aud)
        .setExpirationTime(exp)
        .sign(key);
    const now = Math.floor(Date.now() / 1000);
    const wrongAudience = await sign('urn:some-other-api', now + 600);
    const expired = await sign(DEV_IDP.brokerAudience, now - 120);
    const valid = await sign(DEV_IDP.brokerAudience, now + 600);
    for (const token of [forged, wrongAudience, expired, 'garbage', undefined]) {
      const res = await h.broker('/db/briefings', token === undefined ? {} : { token });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'unauthorized' });
    }
    // The same claims signed with the server's key are accepted: the refusals above are real.
    expect((await h.broker(`/db/briefings/${docPath(sharedWithB)}`, { token: valid })).status).toBe(
      200,
    );
  });

  it('refuses every write to the briefings database', async () => {
    const ownDoc = (await h.broker('/db/briefings/_all_docs', { token: tokenA })).body as {
      rows: { id: string; value: { rev: string } }[];
    };
    const briefing = ownDoc.rows.find((r) => r.id.startsWith('briefing:'))!;
    const attempts = [
      h.broker('/db/briefings/evil', { method: 'PUT', token: tokenA, body: { type: 'briefing' } }),
      h.broker('/db/briefings/_bulk_docs', {
        method: 'POST',
        token: tokenA,
        body: { docs: [{ _id: 'evil' }] },
      }),
      h.broker(`/db/briefings/${encodeURIComponent(briefing.id)}?rev=${briefing.value.rev}`, {
        method: 'DELETE',
        token: tokenA,
      }),
      h.broker('/db/briefings/_design/evil', { method: 'PUT', token: tokenA, body: {} }),
      h.broker('/db/briefings/_security', { method: 'PUT', token: tokenA, body: {} }),
      h.broker('/db/briefings', { method: 'DELETE', token: tokenA }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect([403, 404]).toContain(res.status);
      expect(res.body).toEqual(
        res.status === 403 ? { error: 'forbidden' } : { error: 'not_found' },
      );
    }
    expect(
      (await h.broker(`/db/briefings/${encodeURIComponent(briefing.id)}`, { token: tokenA }))
        .status,
    ).toBe(200);
  });

  it('accepts a read receipt authored by the signed-in user in /db/returns, and nothing else', async () => {
    const path = (id: string) => `/db/returns/${encodeURIComponent(id)}`;
    const first = `read-receipt:${randomUUID()}`;
    const put = await h.broker(path(first), {
      method: 'PUT',
      token: tokenA,
      body: receipt(A),
    });
    expect(put.status).toBe(201);
    expect((await h.broker(path(first), { token: tokenA })).body).toMatchObject({
      author: A,
      type: 'read-receipt',
    });
    const bulk = await h.broker('/db/returns/_bulk_docs', {
      method: 'POST',
      token: tokenA,
      body: { docs: [{ _id: `read-receipt:${randomUUID()}`, ...receipt(A) }] },
    });
    expect(bulk.status).toBe(201);
    // CouchDB's validate_doc_update (as the user) refuses the rest.
    const impersonating = await h.broker(path(`read-receipt:${randomUUID()}`), {
      method: 'PUT',
      token: tokenA,
      body: receipt(B),
    });
    expect(impersonating.status).toBe(403);
    const otherType = await h.broker(path(`read-receipt:${randomUUID()}`), {
      method: 'PUT',
      token: tokenA,
      body: { type: 'briefing', author: A },
    });
    expect(otherType.status).toBe(403);
    const incomplete = await h.broker(path(`read-receipt:${randomUUID()}`), {
      method: 'PUT',
      token: tokenA,
      body: receipt(A, { sorId: '' }),
    });
    expect(incomplete.status).toBe(403);
    // Devices keep their replication checkpoints on the device: no `_local` document, on either
    // database (`_local/_security` would be the security object under another name).
    for (const path of ['/db/briefings/_local/device-1', '/db/returns/_local/_security']) {
      const checkpoint = await h.broker(path, {
        method: 'PUT',
        token: tokenA,
        body: { last_seq: 3 },
      });
      expect(checkpoint.status).toBe(403);
    }
  });

  it('audits each decision with user, method, path and reason', async () => {
    await h.broker('/db/briefings/evil', { method: 'PUT', token: tokenA, body: {} });
    // The audit stream flushes asynchronously: wait for the records themselves.
    await eventually(() => {
      const lines = fs
        .readFileSync(h.server.files.auditLog, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toContainEqual(
        expect.objectContaining({
          user: A,
          method: 'PUT',
          path: '/db/briefings/evil',
          decision: 'refused',
          reason: 'briefings are read-only',
        }),
      );
      expect(lines).toContainEqual(
        expect.objectContaining({
          user: A,
          method: 'GET',
          decision: 'allowed',
          reason: 'own database',
        }),
      );
      expect(lines).toContainEqual(
        expect.objectContaining({ user: null, decision: 'refused', reason: 'no bearer token' }),
      );
    });
  });

  it('has no development token endpoint: tokens come only from the identity provider', async () => {
    const res = await fetch(`${h.server.urls.broker}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: A }),
    });
    expect(res.status).toBe(401);
  });
});

describe('on the CouchDB-protocol server itself', () => {
  it('lets a user read their own briefings with their derived credentials', async () => {
    const res = await h.couchAs(A, 'GET', `/${h.dbNames(A).briefings}/_all_docs`);
    expect(res.status).toBe(200);
  });

  it('refuses A’s credentials on B’s databases, for reading and writing', async () => {
    const b = h.dbNames(B);
    const reads = await Promise.all([
      h.couchAs(A, 'GET', `/${b.briefings}/${docPath(sharedWithB)}`),
      h.couchAs(A, 'GET', `/${b.briefings}/_all_docs`),
      h.couchAs(A, 'GET', `/${b.briefings}/_changes`),
      h.couchAs(A, 'GET', `/${b.returns}/_all_docs`),
    ]);
    reads.forEach((res, i) => {
      expectRefused(res, `read ${i}`);
      expect(JSON.stringify(res.body)).not.toContain('For Bob only');
    });
    const writes = await Promise.all([
      h.couchAs(A, 'PUT', `/${b.returns}/from-alice`, receipt(A)),
      h.couchAs(A, 'PUT', `/${b.returns}/as-bob`, receipt(B)),
      h.couchAs(A, 'POST', `/${b.returns}/_bulk_docs`, {
        docs: [{ _id: 'bulk-from-alice', ...receipt(A) }],
      }),
      h.couchAs(A, 'PUT', `/${b.briefings}/evil`, { type: 'briefing' }),
      h.couchAs(A, 'PUT', `/${b.briefings}/_security`, { members: { names: [A] } }),
    ]);
    writes.forEach((res, i) => {
      const perDocErrors =
        Array.isArray(res.body) &&
        res.body.every((r: { error?: string }) => r.error === 'unauthorized');
      // _bulk_docs may answer 201 with a refusal per document (express-pouchdb does); CouchDB 3
      // refuses the whole request. Either way nothing may be written.
      if (res.status === 201)
        expect(perDocErrors, `write ${i}: ${JSON.stringify(res.body)}`).toBe(true);
      else expectRefused(res, `write ${i}`);
    });
    // Nothing from Alice landed in Bob's returns.
    const bobsReturns = await h.couchAs(B, 'GET', `/${b.returns}/_all_docs`);
    expect(bobsReturns.status).toBe(200);
    expect((bobsReturns.body as { rows: { id: string }[] }).rows.map((r) => r.id)).toEqual([
      '_design/attache',
    ]);
  });

  it('refuses a user’s writes to their own briefings database (design document)', async () => {
    const res = await h.couchAs(A, 'PUT', `/${h.dbNames(A).briefings}/evil`, { type: 'briefing' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'forbidden' });
  });

  it('refuses database creation, deletion and listing to a user, and keeps running (express-pouchdb crash guard)', async () => {
    // Apache CouchDB answers these 401 and express-pouchdb 403: the refusal and what it left
    // behind are what count.
    expectRefused(await h.couchAs(A, 'PUT', '/brand-new-db'), 'create');
    expectRefused(await h.couchAs(A, 'DELETE', `/${h.dbNames(A).briefings}`), 'delete');
    expectRefused(await h.couchAs(A, 'GET', '/_all_dbs'), '_all_dbs');
    expectRefused(
      await h.couchAs(A, 'PUT', '/_users/org.couchdb.user:mallory', {
        name: 'mallory',
        password: 'x',
        roles: [],
        type: 'user',
      }),
      'account',
    );
    const dbs = await h.couchAdmin('GET', '/_all_dbs');
    expect(dbs.status).toBe(200);
    expect(dbs.body).toContain(h.dbNames(A).briefings);
    expect(dbs.body).not.toContain('brand-new-db');
    expect((await h.couchAdmin('GET', '/_users/org.couchdb.user:mallory')).status).toBe(404);
    const alive = await h.couchAs(A, 'GET', `/${h.dbNames(A).briefings}`);
    expect(alive.status).toBe(200);
  });
});
