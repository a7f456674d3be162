// The attack matrix of the embedded CouchDB-protocol server (express-pouchdb), as data: every way
// express-pouchdb rewrites a database name, every endpoint and method it has, and what a user
// may do. embedded-couch-attack.test.ts runs it with no credentials, a user's and the service
// admin's. Extend these tables when the server or the broker gains an endpoint.
import http from 'node:http';

/**
 * Characters express-pouchdb's name cleaning (sanitize-filename, via clean-filename.js) removes
 * from a decoded database name: `/ ? < > \ : * | "`, C0 controls and C1 controls (U+0080 to
 * U+009F). Trailing dots and spaces are removed too (TRAILING_STRIPPED).
 */
export const STRIPPED_CHARACTERS: readonly string[] = [
  ...'/?<>\\:*|"',
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i)),
];
export const TRAILING_STRIPPED: readonly string[] = ['.', ' ', '..', '. .'];

/** Percent-encodes every byte of `text` (so `/` and `?` stay inside one path segment). */
export function encodeAll(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('');
}

/**
 * Windows device names sanitize-filename empties (any case, with or without an extension:
 * `con`, `NUL.txt`, `com1.json`); express-pouchdb's clean-filename.js then opens the name wrapped
 * in double underscores (`con` opens `__con__`).
 */
export const WINDOWS_DEVICE_NAMES: readonly string[] = [
  'CON',
  'PRN',
  'AUX',
  'NUL',
  ...Array.from({ length: 10 }, (_, i) => `COM${i}`),
  ...Array.from({ length: 10 }, (_, i) => `LPT${i}`),
];

/** Each stripped character before, inside and after `name`. */
function withStrippedCharacters(name: string): string[] {
  const middle = Math.max(1, Math.floor(name.length / 2));
  return STRIPPED_CHARACTERS.flatMap((c) => {
    const e = encodeAll(c);
    return [`${e}${name}`, `${name.slice(0, middle)}${e}${name.slice(middle)}`, `${name}${e}`];
  });
}

/**
 * Spellings that express-pouchdb opens as `__<device>__`, `device` being a Windows device name
 * as written (`con`, `LPT1`, `aux.txt`): the device name itself, with each stripped character
 * before, inside and after it, and percent-encoded.
 */
export function deviceNameSpellings(device: string): string[] {
  return [device, ...withStrippedCharacters(device), encodeAll(device)];
}

/** The device name inside a database name express-pouchdb wrapped (`__con__`), or null. */
function wrappedDeviceName(target: string): string | null {
  const inner = /^__(.+)__$/.exec(target)?.[1];
  const base = inner?.split('.')[0]?.toUpperCase() ?? '';
  return inner && WINDOWS_DEVICE_NAMES.includes(base) ? inner : null;
}

/**
 * Spellings of database `target` in a request path that express-pouchdb opens as `target` (or
 * would, but for the front door): each stripped character before, inside and after the name, the
 * name percent-encoded, trailing dots and spaces, Windows device names it wraps in underscores
 * (for a target `__con__`: `con` and its spellings), and the Fauxton cluster prefix
 * express-pouchdb removes from the URL.
 */
export function hostileSpellings(target: string): string[] {
  const spellings = new Set<string>(withStrippedCharacters(target));
  const device = wrappedDeviceName(target);
  if (device) for (const spelling of deviceNameSpellings(device)) spellings.add(spelling);
  for (const t of TRAILING_STRIPPED) spellings.add(`${target}${encodeAll(t)}`);
  spellings.add(encodeAll(target));
  spellings.add(`${encodeAll(target[0] ?? '')}${target.slice(1)}`);
  spellings.add(target.toUpperCase());
  spellings.add(`_node/node1@127.0.0.1/${target}`);
  spellings.add(`./${target}`);
  spellings.add(`x/../${target}`);
  spellings.add(`${target};x`);
  return [...spellings];
}

export type Probe = {
  readonly method: string;
  /** `{db}` is replaced by the database spelling, `{doc}` by a document id of the database. */
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
};

const designDoc = {
  language: 'javascript',
  validate_doc_update: 'function () { throw({ forbidden: "planted" }); }',
};
const security = { admins: { names: ['mallory'], roles: [] }, members: { names: [], roles: [] } };

/**
 * Every method Node's HTTP server hands to express, which `app.all` routes take whatever it is
 * (CONNECT never reaches express: Node's server answers it as a tunnel request).
 */
export const ALL_METHODS: readonly string[] = http.METHODS.filter((m) => m !== 'CONNECT');

/** Routes express-pouchdb registers with `app.all`: each is probed with every method. */
const ANY_METHOD_DATABASE_ROUTES: readonly string[] = [
  '/{db}/_all_docs',
  '/{db}/_temp_view',
  '/{db}/_design/attache/_view/all',
  '/{db}/_design/attache/_list/x/y',
  '/{db}/_design/attache/_list/x/other/y',
  '/{db}/_design/attache/_show/x',
  '/{db}/_design/attache/_update/x',
];
const ANY_METHOD_SERVER_ROUTES: readonly string[] = ['/_uuids', '/_db_updates'];

function everyMethod(path: string): Probe[] {
  return ALL_METHODS.map((method) => ({ method, path }));
}

/**
 * Every route express-pouchdb 4.2 registers (lib/routes/*.js), at database level, with the method
 * each takes, and the reserved documents that carry power (`_local/_security` is the security
 * object; design documents run code in the server).
 */
export const DATABASE_PROBES: readonly Probe[] = [
  { method: 'GET', path: '/{db}' },
  { method: 'HEAD', path: '/{db}' },
  { method: 'PUT', path: '/{db}' },
  { method: 'DELETE', path: '/{db}' },
  { method: 'POST', path: '/{db}', body: { _id: 'posted' } },
  { method: 'POST', path: '/{db}/_ensure_full_commit', body: {} },
  { method: 'GET', path: '/{db}/_all_docs?include_docs=true' },
  { method: 'POST', path: '/{db}/_all_docs?include_docs=true', body: { keys: ['{doc}'] } },
  { method: 'GET', path: '/{db}/_changes?include_docs=true' },
  { method: 'POST', path: '/{db}/_bulk_get', body: { docs: [{ id: '{doc}' }] } },
  { method: 'POST', path: '/{db}/_revs_diff', body: { '{doc}': ['1-x'] } },
  {
    method: 'POST',
    path: '/{db}/_bulk_docs',
    body: { docs: [{ _id: '_design/planted', ...designDoc }] },
  },
  {
    method: 'POST',
    path: '/{db}/_bulk_docs',
    body: { docs: [{ _id: '_local/_security', security }] },
  },
  { method: 'POST', path: '/{db}/_compact', body: {} },
  { method: 'POST', path: '/{db}/_view_cleanup', body: {} },
  { method: 'POST', path: '/{db}/_temp_view', body: { map: 'function (doc) { emit(doc._id); }' } },
  { method: 'POST', path: '/{db}/_find', body: { selector: {} } },
  { method: 'POST', path: '/{db}/_explain', body: { selector: {} } },
  { method: 'GET', path: '/{db}/_index' },
  { method: 'POST', path: '/{db}/_index', body: { index: { fields: ['type'] } } },
  { method: 'DELETE', path: '/{db}/_index/_design/x/json/y' },
  { method: 'GET', path: '/{db}/_security' },
  { method: 'PUT', path: '/{db}/_security', body: security },
  { method: 'GET', path: '/{db}/_local/_security' },
  { method: 'PUT', path: '/{db}/_local/_security', body: { security } },
  { method: 'PUT', path: '/{db}/_local%2F_security', body: { security } },
  { method: 'PUT', path: '/{db}/%5Flocal/_security', body: { security } },
  { method: 'PUT', path: '/{db}/_local/checkpoint', body: { a: 1 } },
  { method: 'PUT', path: '/{db}/_design/planted', body: designDoc },
  { method: 'PUT', path: '/{db}/_design%2Fplanted', body: designDoc },
  { method: 'GET', path: '/{db}/_design/attache' },
  { method: 'GET', path: '/{db}/_design/attache/_info' },
  { method: 'GET', path: '/{db}/_design/attache/_view/all' },
  { method: 'GET', path: '/{db}/_design/attache/_show/x' },
  { method: 'GET', path: '/{db}/_design/attache/_list/x/y' },
  { method: 'POST', path: '/{db}/_design/attache/_update/x', body: {} },
  { method: 'GET', path: '/{db}/_design/attache/_rewrite/x' },
  { method: 'PUT', path: '/{db}/_design/attache/planted.txt', body: 'x' },
  { method: 'POST', path: '/{db}/_purge', body: { '{doc}': ['1-x'] } },
  { method: 'GET', path: '/{db}/_revs_limit' },
  { method: 'GET', path: '/{db}/{doc}' },
  { method: 'GET', path: '/{db}/{doc}?revs_info=true&conflicts=true' },
  { method: 'PUT', path: '/{db}/{doc}', body: { type: 'planted' } },
  { method: 'PUT', path: '/{db}/ordinary-id', body: { _id: '_local/_security', security } },
  { method: 'PUT', path: '/{db}/ordinary-id?id=_design/planted', body: designDoc },
  { method: 'POST', path: '/{db}/{doc}', body: { a: 1 } },
  { method: 'DELETE', path: '/{db}/{doc}' },
  { method: 'COPY', path: '/{db}/{doc}', headers: { destination: '_design/planted' } },
  { method: 'GET', path: '/{db}/{doc}/attachment.pdf' },
  { method: 'PUT', path: '/{db}/{doc}/attachment.pdf', body: 'x' },
  { method: 'DELETE', path: '/{db}/{doc}/attachment.pdf' },
  { method: 'OPTIONS', path: '/{db}' },
  { method: 'GET', path: '/{db}/_design/attache/planted.txt' },
  { method: 'DELETE', path: '/{db}/_design/attache/planted.txt' },
  { method: 'GET', path: '/{db}/_design/attache/_list/x/other/y' },
  ...ANY_METHOD_DATABASE_ROUTES.flatMap(everyMethod),
];

/** Every server-level route express-pouchdb 4.2 registers, and a few it does not. */
export const SERVER_PROBES: readonly Probe[] = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/_session' },
  { method: 'POST', path: '/_session', body: { name: 'x', password: 'y' } },
  { method: 'DELETE', path: '/_session' },
  { method: 'GET', path: '/_all_dbs' },
  { method: 'GET', path: '/_config' },
  { method: 'GET', path: '/_config/admins' },
  { method: 'PUT', path: '/_config/admins/mallory', body: 'x' },
  { method: 'PUT', path: '/_config/httpd/authentication_handlers', body: 'special_test' },
  { method: 'DELETE', path: '/_config/admins/attache-service' },
  { method: 'GET', path: '/_log' },
  { method: 'GET', path: '/_active_tasks' },
  { method: 'GET', path: '/_db_updates' },
  { method: 'GET', path: '/_db_updates?feed=longpoll&since=now&timeout=100' },
  { method: 'POST', path: '/_db_updates', body: {} },
  { method: 'GET', path: '/_stats' },
  { method: 'GET', path: '/_uuids' },
  { method: 'GET', path: '/_membership' },
  { method: 'GET', path: '/_cluster_setup' },
  { method: 'POST', path: '/_replicate', body: { source: '_users', target: 'stolen' } },
  { method: 'POST', path: '/_restart', body: {} },
  { method: 'GET', path: '/_utils/' },
  { method: 'GET', path: '/_up' },
  { method: 'GET', path: '/_node/node1@127.0.0.1/_config' },
  { method: 'GET', path: 'http://localhost/_users/_all_docs' },
  { method: 'GET', path: '*' },
  ...ANY_METHOD_SERVER_ROUTES.flatMap(everyMethod),
];

/**
 * What a user may do in their own databases (the rest is refused): the endpoints the broker
 * forwards, and its own revision check (`_revs_diff`). Keys are `METHOD path-template`, `{own}`
 * one of the user's two databases. (The guard's table is compared with the broker's both ways in
 * tests/unit/server/couch-guard.test.ts.)
 */
export const USER_ALLOWED: readonly Probe[] = [
  { method: 'GET', path: '/{db}' },
  { method: 'HEAD', path: '/{db}' },
  { method: 'GET', path: '/{db}/_all_docs?include_docs=true' },
  { method: 'POST', path: '/{db}/_all_docs?include_docs=true', body: { keys: ['{doc}'] } },
  { method: 'GET', path: '/{db}/_changes?include_docs=true' },
  { method: 'POST', path: '/{db}/_bulk_get', body: { docs: [{ id: '{doc}' }] } },
  { method: 'POST', path: '/{db}/_revs_diff', body: { '{doc}': ['1-x'] } },
  { method: 'GET', path: '/{db}/{doc}' },
  { method: 'GET', path: '/{db}/{doc}?revs_info=true&conflicts=true' },
  { method: 'GET', path: '/{db}/{doc}/attachment.pdf' },
  { method: 'GET', path: '/{db}/_all_docs' },
  { method: 'POST', path: '/{db}/_all_docs' },
];

/** `_changes` requests that ended the whole process through express-pouchdb (issue 9). */
export const CRASHING_CHANGES: readonly Probe[] = [
  { method: 'GET', path: '/{db}/_changes?filter=_view&view=attache/all' },
  { method: 'GET', path: '/{db}/_changes?filter=attache/none' },
  { method: 'GET', path: '/{db}/_changes?filter=_design' },
  { method: 'POST', path: '/{db}/_changes?filter=_selector', body: {} },
  { method: 'GET', path: '/{db}/_changes?view=attache/all' },
  { method: 'GET', path: '/{db}/_changes?filter=_view&view=none/none' },
  { method: 'GET', path: '/{db}/_changes?filter=_view&view=attache/all&feed=longpoll' },
];
