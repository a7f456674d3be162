import { pbkdf2Sync } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createCouchAuthenticator, parseBasicAuth } from '../../../server/src/couch/couch-auth.js';
import type { StoredPassword } from '../../../server/src/couch/couch-auth.js';
import type { Endpoint } from '../../../server/src/broker/allow-list.js';
import { ENDPOINTS, ruleFor } from '../../../server/src/broker/allow-list.js';
import {
  checkUserWrite,
  databaseKind,
  decideCouchRequest,
  USER_ACCESS,
} from '../../../server/src/couch/couch-guard.js';
import type { CouchIdentity } from '../../../server/src/couch/couch-guard.js';
import { CONTROL_DB } from '../../../server/src/couch/control-db.js';
import { userDbNames } from '../../../server/src/user-dbs/user-dbs.js';

const require = createRequire(import.meta.url);
// express-pouchdb's own name cleaning, exactly as the embedded server passes it to the guard.
const cleanFilename = require('express-pouchdb/lib/clean-filename.js') as (n: string) => string;

const admin: CouchIdentity = { kind: 'admin' };
const bob: CouchIdentity = { kind: 'user', name: 'bob' };
const nobody: CouchIdentity = { kind: 'anonymous' };
const bobs = userDbNames('bob');
const eves = userDbNames('eve');
const decide = (method: string, url: string, who: CouchIdentity) =>
  decideCouchRequest(method, url, who, cleanFilename);

describe('embedded CouchDB front door: names', () => {
  it('knows exactly the databases the server creates, and express-pouchdb opens them unchanged', () => {
    for (const id of ['bob', 'A/B', '../x', 'ünïcødé', 'x'.repeat(100)]) {
      const names = userDbNames(id);
      expect(databaseKind(names.briefings)).toMatchObject({ kind: 'briefings' });
      expect(databaseKind(names.returns)).toMatchObject({ kind: 'returns' });
      expect(cleanFilename(names.briefings)).toBe(names.briefings);
    }
    for (const name of [CONTROL_DB, '_users', '_replicator']) {
      expect(databaseKind(name)).toEqual({ kind: 'admin-only' });
      expect(cleanFilename(name)).toBe(name);
    }
    for (const name of [
      'userdb-',
      'userdb-abc',
      'userdb-AB',
      'userdb-zz',
      'pouch__all_dbs__',
      'x',
    ]) {
      expect(databaseKind(name)).toBeNull();
    }
  });

  it.each([
    '/%2F_users',
    '/%3F_users',
    '/%5C_users',
    '/%3A_users',
    '/%2A_users',
    '/%7C_users',
    '/%22_users',
    '/%3C_users',
    '/%3E_users',
    '/%01_users',
    '/%C2%80_users',
    '/_users%2E',
    '/_users%20',
    '/%5Fusers',
    '/_node/node1@127.0.0.1/_users',
    '//_users',
    '/x/../_users',
    '/CON',
    'http://localhost/_users',
    '*',
    `/${bobs.briefings}%2F`,
    `/${bobs.briefings.toUpperCase()}`,
  ])('refuses %s to the service admin as to a user', (path) => {
    for (const who of [admin, bob]) {
      const decision = decide('GET', path, who);
      expect(decision.allow, `${path} as ${who.kind}`).toBe(false);
    }
  });
});

describe('embedded CouchDB front door: who may do what', () => {
  it('answers 401 to every request without credentials', () => {
    for (const path of ['/', '/_session', `/${bobs.briefings}`, '/_users/_all_docs']) {
      expect(decide('GET', path, nobody)).toMatchObject({ allow: false, status: 401 });
    }
  });

  it.each([
    ['GET', `/${bobs.briefings}`],
    ['GET', `/${bobs.briefings}/`],
    ['HEAD', `/${bobs.briefings}`],
    ['GET', `/${bobs.briefings}/_changes?feed=longpoll`],
    ['POST', `/${bobs.briefings}/_all_docs`],
    ['POST', `/${bobs.briefings}/_bulk_get`],
    ['POST', `/${bobs.returns}/_revs_diff`],
    ['POST', `/${bobs.briefings}/_revs_diff`],
    ['GET', `/${bobs.briefings}/briefing%3ABRF-1`],
    ['GET', `/${bobs.briefings}/briefing%3ABRF-1/brief.pdf`],
    ['PUT', `/${bobs.returns}/read-receipt%3A1`],
    ['POST', `/${bobs.returns}/_bulk_docs`],
    ['GET', '/_session'],
  ])('lets a user %s %s', (method, path) => {
    expect(decide(method, path, bob)).toMatchObject({ allow: true });
  });

  it.each([
    ['GET', `/${eves.briefings}`],
    ['GET', `/${eves.returns}/_all_docs`],
    ['GET', `/${CONTROL_DB}/lease:poller`],
    ['GET', '/_users/org.couchdb.user:bob'],
    ['GET', '/_all_dbs'],
    ['POST', '/_session'],
    ['GET', '/_config'],
    ['PUT', `/${bobs.briefings}`],
    ['DELETE', `/${bobs.briefings}`],
    ['POST', `/${bobs.briefings}`],
    ['PUT', `/${bobs.briefings}/x`],
    ['POST', `/${bobs.briefings}/_bulk_docs`],
    // The broker never forwards it: changes are read with GET.
    ['POST', `/${bobs.briefings}/_changes`],
    ['POST', `/${bobs.briefings}/_find`],
    ['POST', `/${bobs.briefings}/_index`],
    ['POST', `/${bobs.briefings}/_explain`],
    ['GET', `/${bobs.briefings}/_security`],
    ['PUT', `/${bobs.returns}/_security`],
    ['PUT', `/${bobs.returns}/_local/_security`],
    ['PUT', `/${bobs.returns}/_local%2F_security`],
    ['PUT', `/${bobs.returns}/%5Flocal/_security`],
    ['GET', `/${bobs.returns}/_local/checkpoint`],
    ['PUT', `/${bobs.returns}/_design/x`],
    ['PUT', `/${bobs.returns}/_design%2Fx`],
    ['POST', `/${bobs.returns}/_purge`],
    ['POST', `/${bobs.returns}/_compact`],
    ['GET', `/${bobs.returns}/%5Fchanges`],
    ['DELETE', `/${bobs.returns}/doc`],
    ['COPY', `/${bobs.returns}/doc`],
    ['POST', `/${bobs.returns}/doc`],
    ['PUT', `/${bobs.returns}/doc/attachment`],
    ['GET', `/${bobs.returns}/%E0%A4%A`],
  ])('refuses a user %s %s', (method, path) => {
    expect(decide(method, path, bob).allow).toBe(false);
  });

  it('lets the service admin use its databases and nothing else at server level', () => {
    expect(decide('PUT', `/${eves.briefings}`, admin).allow).toBe(true);
    expect(decide('PUT', `/${eves.briefings}/_security`, admin).allow).toBe(true);
    expect(decide('PUT', '/_users/org.couchdb.user:eve', admin).allow).toBe(true);
    expect(decide('GET', '/_all_dbs', admin).allow).toBe(true);
    for (const path of ['/', '/_config', '/_replicate', '/_uuids', '/_utils', '/newdb']) {
      expect(decide('GET', path, admin).allow, path).toBe(false);
    }
  });

  it('marks a user’s writes for the body check', () => {
    expect(decide('PUT', `/${bobs.returns}/r1`, bob)).toEqual({
      allow: true,
      write: { kind: 'doc', docId: 'r1' },
    });
    expect(decide('POST', `/${bobs.returns}/_bulk_docs`, bob)).toEqual({
      allow: true,
      write: { kind: 'bulk_docs' },
    });
  });
});

describe('embedded CouchDB front door: write bodies', () => {
  const doc = { kind: 'doc', docId: 'r1' } as const;
  const bulk = { kind: 'bulk_docs' } as const;
  it('passes ordinary documents', () => {
    expect(checkUserWrite(doc, '', { type: 'read-receipt' })).toBeNull();
    expect(checkUserWrite(doc, 'rev=1-a', { _id: 'r1', _rev: '1-a' })).toBeNull();
    expect(
      checkUserWrite(bulk, 'x=1', { docs: [{ _id: 'a' }, { b: 1 }], new_edits: false }),
    ).toBeNull();
  });
  it.each([
    [doc, '', { _id: '_local/_security' }],
    [doc, '', { _id: 'other' }],
    [doc, 'id=_design/x', {}],
    [doc, 'i%64=_design/x', {}],
    [doc, 'id[]=_design/x', {}],
    [doc, '', []],
    [bulk, '', { docs: [{ _id: '_design/x' }] }],
    [bulk, '', { docs: [{ _id: '_local/_security' }] }],
    [bulk, '', { docs: [{ _id: 1 }] }],
    [bulk, '', { docs: 'x' }],
    [bulk, '', [{ _id: 'a' }]],
  ] as const)('refuses %j %s %j', (write, query, body) => {
    expect(checkUserWrite(write, query, body)).not.toBeNull();
  });
});

describe('embedded CouchDB authentication', () => {
  const adminCredentials = { username: 'attache-service', password: 'admin-password-123456' };
  const salt = 'a1b2c3d4';
  // pouchdb-auth's scheme: PBKDF2-SHA1, 20 bytes, as crypto-lite computes it.
  const cryptoLite = (require('crypto-lite') as { crypto: { pbkdf2: (...a: unknown[]) => Buffer } })
    .crypto;
  const stored: StoredPassword = {
    name: 'bob',
    derivedKey: cryptoLite.pbkdf2('bob-password', salt, 10, 20).toString('hex'),
    salt,
    iterations: 10,
  };
  const auth = createCouchAuthenticator({
    admin: adminCredentials,
    lookup: (name) => Promise.resolve(name === 'bob' ? stored : null),
  });
  const header = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  it('knows the service admin, a user with the right password, and nobody else', async () => {
    expect(
      (await auth.identify(header('attache-service', 'admin-password-123456'))).identity,
    ).toEqual({
      kind: 'admin',
    });
    expect((await auth.identify(header('bob', 'bob-password'))).identity).toEqual({
      kind: 'user',
      name: 'bob',
    });
    for (const h of [
      header('bob', 'wrong'),
      header('attache-service', 'bob-password'),
      header('bob', 'admin-password-123456'),
      header('eve', 'x'),
      'Bearer x',
      undefined,
      'Basic !!!',
    ]) {
      expect((await auth.identify(h)).identity, String(h)).toEqual({ kind: 'anonymous' });
    }
  });

  it('agrees with Node’s PBKDF2 and parses Basic headers strictly', () => {
    expect(pbkdf2Sync('bob-password', salt, 10, 20, 'sha1').toString('hex')).toBe(
      stored.derivedKey,
    );
    expect(parseBasicAuth(header('a', 'b:c'))).toEqual({ username: 'a', password: 'b:c' });
    expect(parseBasicAuth(header('', 'b'))).toBeNull();
    expect(parseBasicAuth('basic YTpi')).toBeNull();
  });
});

describe('embedded CouchDB front door: the same table as the broker', () => {
  // The broker forwards a user's request to the server's CouchDB as that user; on the embedded
  // server the guard's USER_ACCESS decides. A request the broker's allow-list admits but the
  // guard refuses would break devices; a path the guard admits for users that no rule of the
  // broker names is a door nobody uses. Either way the two tables drifted apart.
  const PATHS: Record<Endpoint, (db: string) => string> = {
    database: (db) => `/${db}`,
    changes: (db) => `/${db}/_changes`,
    all_docs: (db) => `/${db}/_all_docs`,
    bulk_get: (db) => `/${db}/_bulk_get`,
    revs_diff: (db) => `/${db}/_revs_diff`,
    bulk_docs: (db) => `/${db}/_bulk_docs`,
    document: (db) => `/${db}/doc-1`,
    attachment: (db) => `/${db}/doc-1/paper.pdf`,
  };
  const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'COPY'] as const;

  it('admits every request the broker forwards for a user, on both of their databases', () => {
    for (const alias of ['briefings', 'returns'] as const) {
      for (const endpoint of ENDPOINTS) {
        for (const method of METHODS) {
          if (!ruleFor(alias, endpoint, method)) continue;
          const url = PATHS[endpoint](bobs[alias]);
          expect(decide(method, url, bob), `${method} ${endpoint} on ${alias}`).toMatchObject({
            allow: true,
          });
        }
      }
    }
  });

  it('admits nothing for a user beyond what the broker forwards or asks itself', () => {
    // The broker's own question as the user, before it forwards a read naming revisions
    // (broker/revision-checks.ts); its other one is a document read.
    const ownAsks = new Set(['revs_diff POST']);
    for (const alias of ['briefings', 'returns'] as const) {
      const access = USER_ACCESS[alias];
      const named = (endpoint: Endpoint, method: string) =>
        ownAsks.has(`${endpoint} ${method}`) ||
        (ENDPOINTS.some((e) => e === endpoint) && ruleFor(alias, endpoint, method) !== undefined);
      for (const method of access.info)
        expect(named('database', method), `${method} info`).toBe(true);
      for (const method of access.doc) {
        expect(named('document', method), `${method} document on ${alias}`).toBe(true);
      }
      for (const method of access.attachment) {
        expect(named('attachment', method), `${method} attachment on ${alias}`).toBe(true);
      }
      for (const [path, methods] of Object.entries(access.endpoints)) {
        const endpoint = path.slice(1) as Endpoint;
        for (const method of methods) {
          expect(named(endpoint, method), `${method} ${path} on ${alias}`).toBe(true);
        }
      }
    }
  });
});
