// The demo SOR serving the SOR contract over HTTP (server/openapi/sor-adapter.yaml), so that the
// REST adapter is tested against exactly what an organisation's façade must implement. Mounted
// under /sor/v1 on the demo SOR's port, behind the same bearer token as its admin API.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { BodyError, readJsonBody, sendJson } from '../../http/json-http.js';
import type { DemoSor } from './demo-sor.sqlite.js';
import {
  MAX_LONG_POLL_MS,
  SOR_API_PREFIX,
  describeIssues,
  wireDeliveryNoticeSchema,
  wireReturnSchema,
} from '../../sor/sor-contract.js';

const RETURN_BODY_LIMIT = 1024 * 1024;

/**
 * Handles a contract request; false when the path is not under /sor/v1 (the caller routes it
 * elsewhere). The caller has already checked the bearer token.
 */
export async function handleSorApi(
  sor: DemoSor,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  if (!url.pathname.startsWith(`${SOR_API_PREFIX}/`)) return false;
  const method = req.method ?? 'GET';
  let parts: string[];
  try {
    parts = url.pathname
      .slice(SOR_API_PREFIX.length + 1)
      .split('/')
      .map(decodeURIComponent);
  } catch {
    sendJson(res, 400, { error: 'bad_request', message: 'Malformed percent-encoding.' });
    return true;
  }
  const [first, sorId, third, version, fifth, name] = parts;

  if (method === 'GET' && first === 'health' && parts.length === 1) {
    sendJson(res, (await sor.ping()) ? 200 : 503, { status: 'ok' });
    return true;
  }
  if (method === 'GET' && first === 'changes' && parts.length === 1) {
    const after = url.searchParams.get('after');
    const limit = Number(url.searchParams.get('limit') ?? '500');
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
      sendJson(res, 400, { error: 'bad_request', message: 'limit must be 1 to 10000.' });
      return true;
    }
    if (after !== null && !/^\d+$/.test(after)) {
      sendJson(res, 400, { error: 'bad_request', message: 'Unknown cursor.' });
      return true;
    }
    const waitParam = url.searchParams.get('waitMs');
    const waitMs = waitParam === null ? 0 : Number(waitParam);
    if (!Number.isSafeInteger(waitMs) || waitMs < 0 || waitMs > MAX_LONG_POLL_MS) {
      sendJson(res, 400, {
        error: 'bad_request',
        message: `waitMs must be 0 to ${MAX_LONG_POLL_MS}.`,
      });
      return true;
    }
    let page = await sor.listChanges(after, limit);
    if (page.changes.length === 0 && waitMs > 0) {
      // Long poll: hold the empty page until a change arrives, the wait ends or the caller leaves.
      const gone = new AbortController();
      const leave = (): void => gone.abort();
      res.once('close', leave);
      const changed = await sor.waitForChanges(after, waitMs, gone.signal);
      res.off('close', leave);
      if (gone.signal.aborted) return true;
      if (changed) page = await sor.listChanges(after, limit);
    }
    sendJson(res, 200, {
      changes: page.changes,
      nextCursor: page.nextCursor,
      ...(waitMs > 0 ? { longPoll: true } : {}),
    });
    return true;
  }
  if (method === 'GET' && first === 'documents' && sorId !== undefined) {
    if (parts.length === 2) {
      const doc = sor.documentWithAttachmentMeta(sorId);
      if (!doc) sendJson(res, 404, { error: 'not_found' });
      else sendJson(res, 200, doc);
      return true;
    }
    if (parts.length === 3 && third === 'recipients') {
      const state = await sor.fetchShareState(sorId);
      if (!state) sendJson(res, 404, { error: 'not_found' });
      else sendJson(res, 200, state);
      return true;
    }
    if (parts.length === 3 && third === 'share-history') {
      const user = url.searchParams.get('user');
      if (user === null || user === '') {
        sendJson(res, 400, {
          error: 'bad_request',
          message: 'The user query parameter is required.',
        });
        return true;
      }
      const history = await sor.fetchShareHistory(sorId, user);
      if (!history) sendJson(res, 404, { error: 'not_found' });
      else sendJson(res, 200, history);
      return true;
    }
    if (parts.length === 6 && third === 'versions' && fifth === 'attachments' && name) {
      const found = sor.attachment(sorId, Number(version), name);
      if (!found) {
        sendJson(res, 404, { error: 'not_found' });
        return true;
      }
      res.writeHead(200, {
        'content-type': found.contentType,
        'content-length': found.data.byteLength,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      res.end(found.data);
      return true;
    }
  }
  // What Attaché sends back, each stored once per idempotency key: 201 the first time, 200 after.
  if (method === 'POST' && first === 'returns' && parts.length === 1) {
    await storeOnce(req, res, wireReturnSchema, (item) => sor.writeReturn(item));
    return true;
  }
  if (method === 'POST' && first === 'delivery-notices' && parts.length === 1) {
    await storeOnce(req, res, wireDeliveryNoticeSchema, (notice) => sor.reportWithheld(notice));
    return true;
  }
  sendJson(res, 404, { error: 'not_found', message: `No route ${method} ${url.pathname}.` });
  return true;
}

/** Reads a JSON body of the given shape and stores it; a malformed one is 400 with the reason. */
async function storeOnce<T>(
  req: IncomingMessage,
  res: ServerResponse,
  schema: z.ZodType<T>,
  store: (item: T) => Promise<'stored' | 'duplicate'>,
): Promise<void> {
  let body: unknown;
  try {
    body = await readJsonBody(req, RETURN_BODY_LIMIT);
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    sendJson(res, error.status, { error: 'bad_request', message: error.message });
    return;
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    sendJson(res, 400, { error: 'bad_request', message: describeIssues(parsed.error) });
    return;
  }
  const status = await store(parsed.data);
  sendJson(res, status === 'stored' ? 201 : 200, { status });
}
