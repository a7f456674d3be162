import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { guardRequest, isAllowedForNonAdmin } from '../../../server/src/couch/couch-guard.js';

const admin = { username: 'attache-service', password: 'correct horse battery staple' };

function request(method: string, url: string, authorization?: string): IncomingMessage {
  return { method, url, headers: authorization ? { authorization } : {} } as IncomingMessage;
}
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('embedded CouchDB front door', () => {
  it.each([
    ['PUT', '/newdb'],
    ['DELETE', '/userdb-626f62'],
    ['PUT', '/userdb-626f62/'],
    ['POST', '/userdb-626f62'],
    ['GET', '/_all_dbs'],
    ['PUT', '/_users/org.couchdb.user:eve'],
    ['PUT', '/%5Fusers/org.couchdb.user:eve'],
    ['GET', '/_config'],
    ['PUT', '/_config/admins/eve'],
    ['POST', '/_replicate'],
    ['POST', '/_session'],
    ['GET', '/x/../_users'],
    ['GET', '/userdb-1/%E0%A4%A'],
  ])('refuses %s %s to anyone but the service admin', (method, path) => {
    expect(isAllowedForNonAdmin(method, path)).toBe(false);
    expect(guardRequest(request(method, path, basic('bob', 'pw')), admin)).toBe('refuse');
    expect(guardRequest(request(method, path, basic(admin.username, admin.password)), admin)).toBe(
      'pass',
    );
  });

  it.each([
    ['GET', '/'],
    ['GET', '/_session'],
    ['GET', '/userdb-626f62'],
    ['GET', '/userdb-626f62/_changes?feed=longpoll'],
    ['PUT', '/returns-626f62/receipt-1'],
    ['POST', '/returns-626f62/_bulk_docs'],
  ])('leaves %s %s to CouchDB’s own checks', (method, path) => {
    expect(guardRequest(request(method, path), admin)).toBe('pass');
  });

  it('does not take a wrong password, or the right password under another name, for the admin', () => {
    expect(guardRequest(request('PUT', '/newdb', basic(admin.username, 'wrong')), admin)).toBe(
      'refuse',
    );
    expect(guardRequest(request('PUT', '/newdb', basic('bob', admin.password)), admin)).toBe(
      'refuse',
    );
    expect(guardRequest(request('PUT', '/newdb', 'Bearer x'), admin)).toBe('refuse');
  });
});
