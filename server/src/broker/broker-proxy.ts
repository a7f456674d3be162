// The last step of an allowed request: sending it to the CouchDB-protocol server as the token's
// user (upstream.ts) and streaming the answer back. Request bodies were read and judged before;
// response bodies stream through, so a long-poll or continuous `_changes` feed flows as CouchDB
// writes it, with design-document rows taken out on the way (reserved-row-filter.ts). Only listed
// headers pass either way, and a failure of the server reaches the device as the uniform 502.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { sendJson } from '../http/json-http.js';
import { createLogger, describeError } from '../observability/logger.js';
import type { EndpointRule } from './allow-list.js';
import type { Audited, BrokerAnswers } from './broker-answers.js';
import { UNIFORM } from './broker-answers.js';
import { createRowFilterStream } from './reserved-row-filter.js';
import type { Upstream } from './upstream.js';
import { readUpTo } from './upstream.js';

const log = createLogger('broker');

/**
 * Request headers passed upstream; everything else (cookies, proxy-auth headers, encodings) is
 * dropped. The content type is the broker's: a body it judged as JSON goes up as JSON (express-
 * pouchdb would parse a form-encoded one differently), and no other body goes up at all.
 */
const FORWARD_REQUEST_HEADERS = ['accept', 'if-match', 'if-none-match', 'range', 'user-agent'];
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
/** How much of an upstream error answer is kept for the log and the audit trail. */
const UPSTREAM_ERROR_MAX = 2048;

export type ProxyContext = {
  readonly audited: Audited;
  readonly rule: EndpointRule;
  readonly continuousFeed: boolean;
};

/** Sends one judged request upstream as `user` to `path` and streams the answer to `res`. */
export type BrokerProxy = (
  req: IncomingMessage,
  res: ServerResponse,
  user: string,
  path: string,
  body: Buffer,
  context: ProxyContext,
) => Promise<void>;

export function createBrokerProxy(deps: {
  readonly upstream: Upstream;
  readonly answers: BrokerAnswers;
}): BrokerProxy {
  const { upstream, answers } = deps;
  return async (req, res, user, path, body, { audited, rule, continuousFeed }) => {
    const headers: Record<string, string> = {};
    for (const name of FORWARD_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    if (rule.body) headers['content-type'] = 'application/json';
    if (body.byteLength > 0 || req.method === 'POST' || req.method === 'PUT') {
      headers['content-length'] = String(body.byteLength);
    }
    const upstreamReq = await upstream.request(req.method ?? 'GET', user, path, headers);
    upstreamReq.on('response', (upstreamRes) => {
      const status = upstreamRes.statusCode ?? 502;
      if (status >= 500) {
        // Whatever the CouchDB-protocol server says about its own failure (stack traces,
        // internal messages) is for the operator: the device gets the uniform answer.
        void readUpTo(upstreamRes, UPSTREAM_ERROR_MAX).then((bytes) => {
          const detail = bytes.toString('utf8').replace(/\s+/g, ' ').trim();
          log.warn({ user, status, detail }, 'the CouchDB-protocol server failed a request');
          answers.allowed(
            audited,
            `own database; the CouchDB-protocol server failed (${status}): ${detail}`,
            502,
          );
          if (!res.headersSent) sendJson(res, 502, UNIFORM[502]);
        });
        return;
      }
      const filtered = rule.hideReservedRows === true && status === 200 && req.method !== 'HEAD';
      const out: Record<string, string | string[]> = {
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'",
      };
      for (const name of FORWARD_RESPONSE_HEADERS) {
        // A filtered answer has another length, and the upstream validator no longer names it.
        if (filtered && (name === 'content-length' || name === 'etag')) continue;
        const value = upstreamRes.headers[name];
        if (value !== undefined) out[name] = value;
      }
      // The device left while CouchDB was answering (a killed process, a dropped network): there
      // is nobody to answer, and piping into its closed response would throw.
      if (res.destroyed) {
        upstreamRes.destroy();
        return;
      }
      answers.allowed(audited, 'own database', status);
      res.writeHead(status, out);
      res.flushHeaders(); // a long-poll client sees the response start at once
      const done = (error: NodeJS.ErrnoException | null) => {
        if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
          log.warn({ err: describeError(error), user }, 'answer cut short');
        }
      };
      try {
        if (filtered) {
          pipeline(
            upstreamRes,
            createRowFilterStream(continuousFeed ? 'lines' : 'envelope'),
            res,
            done,
          );
        } else pipeline(upstreamRes, res, done);
      } catch (error) {
        // Closed between the check above and here: the same, never a crash of the server.
        upstreamRes.destroy();
        done(error as NodeJS.ErrnoException);
      }
    });
    upstreamReq.on('error', (error) => {
      log.warn({ err: describeError(error), user }, 'upstream request failed');
      answers.allowed(audited, 'own database; the CouchDB-protocol server did not answer', 502);
      if (!res.headersSent) sendJson(res, 502, UNIFORM[502]);
      else res.destroy();
    });
    // The device went away (closed a live feed, lost the network): stop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
      answers.allowed(audited, 'own database; the device left before the answer');
    });
    upstreamReq.end(body);
  };
}
