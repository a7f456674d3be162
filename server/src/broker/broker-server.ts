// The auth broker: the devices' only door to CouchDB. For each request it validates the bearer
// token, maps the fixed aliases (/db/briefings, /db/returns) to the token subject's own
// databases, applies the route policy, and proxies to CouchDB as that user (Basic, derived
// password) so CouchDB enforces `_security` too. Bodies stream both ways, never buffered: a
// long-poll or continuous `_changes` feed flows through as CouchDB writes it. Every decision is
// audited.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEV_TOKEN_PATH } from '../../../src/shared/protocol.js';
import { basicAuthHeader } from '../couch/couch-client.js';
import { sendJson } from '../http/json-http.js';
import type { UserDbs } from '../fanout/user-dbs.js';
import { userIdProblem } from '../fanout/user-dbs.js';
import type { AuditLog } from '../observability/audit-log.js';
import { createLogger, describeError } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { decideRoute, splitAlias } from './broker-policy.js';
import type { DevTokenMinter, TokenVerifier } from './types.js';

const log = createLogger('broker');

/** Request headers passed upstream; everything else (cookies, proxy-auth headers, encodings) is dropped. */
const FORWARD_REQUEST_HEADERS = [
  'accept',
  'content-type',
  'content-length',
  'if-match',
  'if-none-match',
  'range',
  'user-agent',
];
/** Response headers passed back; Location/Set-Cookie/Server would leak upstream details. */
const FORWARD_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'cache-control',
  'date',
];
const DEV_TOKEN_BODY_LIMIT = 4096;

export type BrokerDeps = {
  readonly verifier: TokenVerifier;
  readonly userDbs: UserDbs;
  readonly couchUrl: string;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  /** Present only when development tokens are on (embedded mode). */
  readonly devTokens?: { minter: DevTokenMinter; isKnownUser: (id: string) => boolean };
};

const UNIFORM_BODIES = {
  400: { error: 'bad_request' },
  401: { error: 'unauthorized' },
  403: { error: 'forbidden' },
  404: { error: 'not_found' },
  502: { error: 'bad_gateway' },
} as const;

function bearerToken(req: IncomingMessage): string | null {
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] ?? null;
}

async function readSmallBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Uint8Array;
    size += bytes.byteLength;
    if (size > limit) return null;
    text += decoder.decode(bytes, { stream: true });
  }
  return text + decoder.decode();
}

export function createBrokerServer(deps: BrokerDeps): http.Server {
  const upstream = new URL(deps.couchUrl);
  const transport = upstream.protocol === 'https:' ? https : http;
  const upstreamBase = upstream.pathname.replace(/\/+$/, '');

  function decide(
    entry: { user: string | null; method: string; path: string },
    decision: 'allowed' | 'refused',
    reason: string,
  ) {
    deps.metrics.brokerDecision(decision);
    deps.audit.record({ action: 'broker.request', ...entry, decision, reason });
  }

  async function handleDevToken(req: IncomingMessage, res: ServerResponse) {
    const entry = { user: null, method: req.method ?? '', path: DEV_TOKEN_PATH };
    if (!deps.devTokens) {
      decide(entry, 'refused', 'development tokens are off');
      return sendJson(res, 404, UNIFORM_BODIES[404]);
    }
    if (req.method !== 'POST') {
      decide(entry, 'refused', 'method not allowed');
      return sendJson(res, 404, UNIFORM_BODIES[404]);
    }
    const text = await readSmallBody(req, DEV_TOKEN_BODY_LIMIT);
    let user: unknown;
    try {
      user = text === null ? undefined : (JSON.parse(text) as { user?: unknown }).user;
    } catch {
      user = undefined;
    }
    if (typeof user !== 'string' || user === '') {
      decide(entry, 'refused', 'body must be {"user": "<id>"}');
      return sendJson(res, 400, {
        error: 'bad_request',
        reason: 'Expected a JSON body {"user": "<id>"}.',
      });
    }
    if (!deps.devTokens.isKnownUser(user)) {
      decide({ ...entry, user }, 'refused', 'user unknown to the demo SOR');
      return sendJson(res, 403, UNIFORM_BODIES[403]);
    }
    const { accessToken, expiresIn } = await deps.devTokens.minter.mint(user);
    deps.audit.record({
      action: 'broker.dev-token',
      user,
      decision: 'allowed',
      reason: 'development token minted',
    });
    sendJson(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn });
  }

  async function handleDb(
    req: IncomingMessage,
    res: ServerResponse,
    rawPath: string,
    search: string,
  ) {
    const method = req.method ?? 'GET';
    const split = splitAlias(rawPath);
    const aliasPath = split ? rawPath : '(unknown)';
    const token = bearerToken(req);
    if (!token) {
      decide({ user: null, method, path: aliasPath }, 'refused', 'no bearer token');
      return sendJson(res, 401, UNIFORM_BODIES[401], { 'www-authenticate': 'Bearer' });
    }
    const check = await deps.verifier.verify(token);
    if (!check.ok) {
      decide({ user: null, method, path: aliasPath }, 'refused', check.reason);
      return sendJson(res, 401, UNIFORM_BODIES[401], {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
    }
    const user = check.token.subject;
    const entry = { user, method, path: aliasPath };
    const route = decideRoute(method, rawPath);
    if (!route.allowed) {
      decide(entry, 'refused', route.reason);
      return sendJson(res, route.status, UNIFORM_BODIES[route.status]);
    }
    const problem = userIdProblem(user);
    if (problem) {
      decide(entry, 'refused', `subject ${problem}`);
      return sendJson(res, 403, UNIFORM_BODIES[403]);
    }
    let dbName: string;
    try {
      const names = await deps.userDbs.ensure(user);
      dbName = names[route.alias];
    } catch (error) {
      decide(entry, 'refused', `user databases unavailable: ${describeError(error).message}`);
      return sendJson(res, 502, UNIFORM_BODIES[502]);
    }
    decide(entry, 'allowed', 'own database');
    proxy(req, res, user, `${upstreamBase}/${dbName}${route.dbPath}${search}`);
  }

  function proxy(req: IncomingMessage, res: ServerResponse, user: string, path: string) {
    const headers: Record<string, string> = {};
    for (const name of FORWARD_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    headers['authorization'] = basicAuthHeader(deps.userDbs.credentials(user));
    const upstreamReq = transport.request({
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path,
      headers,
    });
    upstreamReq.on('response', (upstreamRes) => {
      const out: Record<string, string | string[]> = {
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'",
      };
      for (const name of FORWARD_RESPONSE_HEADERS) {
        const value = upstreamRes.headers[name];
        if (value !== undefined) out[name] = value;
      }
      res.writeHead(upstreamRes.statusCode ?? 502, out);
      res.flushHeaders(); // a long-poll client sees the response start at once
      upstreamRes.pipe(res);
    });
    upstreamReq.on('error', (error) => {
      log.warn({ err: describeError(error), user }, 'upstream request failed');
      if (!res.headersSent) sendJson(res, 502, UNIFORM_BODIES[502]);
      else res.destroy();
    });
    // The device went away (closed a live feed, lost the network): stop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    req.pipe(upstreamReq);
  }

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://broker.invalid');
    // The raw path (no dot-segment resolution by URL): the policy judges it segment by segment.
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const search = url.search;
    const task =
      rawPath === DEV_TOKEN_PATH
        ? handleDevToken(req, res)
        : rawPath.startsWith('/db/')
          ? handleDb(req, res, rawPath, search)
          : Promise.resolve(sendJson(res, 404, UNIFORM_BODIES[404]));
    task.catch((error: unknown) => {
      log.error({ err: describeError(error) }, 'broker request failed');
      if (!res.headersSent) sendJson(res, 502, UNIFORM_BODIES[502]);
      else res.destroy();
    });
  });
}
