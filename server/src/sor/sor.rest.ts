// The REST SOR adapter: the SorAdapter contract over HTTP (server/openapi/sor-adapter.yaml), with
// plain fetch. An organisation puts a façade with this contract in front of its real SOR.
//
// Everything the SOR sends is untrusted. Bodies are read with a size limit (a 50 MB "document"
// is refused while streaming, not buffered first), decoded as strict UTF-8, parsed and checked
// against the contract's schemas, and attachment bytes are checked against the size and SHA-256
// the document declared. A record that fails any of this raises SorRecordError (the fan-out
// dead-letters it with the reason); a SOR that is down, slow or answers 5xx raises
// SorUnavailableError (callers retry with backoff).
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  describeIssues,
  MAX_LONG_POLL_MS,
  SOR_PATHS,
  wireChangePageSchema,
  wireChangeSchema,
  wireDocumentSchema,
  wireReturnResultSchema,
  wireShareHistorySchema,
  wireShareStateSchema,
} from './sor-contract.js';
import type {
  SorAdapter,
  SorAttachment,
  SorDeliveryNotices,
  SorChange,
  SorDocument,
  SorMalformedChange,
  SorShareHistory,
  SorShareState,
} from './types.js';
import { MAX_ATTACHMENT_BYTES, SorRecordError, SorUnavailableError } from './types.js';

/** Largest JSON document accepted (body HTML is limited to 10 MB by the briefing schema). */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
const MAX_RECORD_ECHO = 2_000;

export type RestSorAdapterOptions = {
  /** Base URL of the contract, e.g. https://sor-facade.internal/sor/v1 */
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
  readonly maxDocumentBytes?: number;
};

type Reply = { status: number; contentType: string; bytes: Uint8Array };

class TooLargeError extends Error {}

/** Reads a response body, giving up as soon as it exceeds `limit` bytes. */
async function readLimited(res: Response, limit: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel();
    throw new TooLargeError();
  }
  if (!res.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new TooLargeError();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function cutRecord(value: unknown): unknown {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length <= MAX_RECORD_ECHO ? value : `${text.slice(0, MAX_RECORD_ECHO)}…`;
}

export function createRestSorAdapter(
  options: RestSorAdapterOptions,
): SorAdapter & SorDeliveryNotices {
  const base = options.baseUrl.replace(/\/+$/, '');
  const maxDocumentBytes = options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
  const decoder = new TextDecoder('utf-8', { fatal: true });

  async function request(
    what: string,
    path: string,
    limit: number,
    init: { method?: string; body?: unknown; waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<Reply> {
    // A long poll may be held up to waitMs before the SOR answers; the timeout covers the rest.
    const timeout = AbortSignal.timeout(options.timeoutMs + (init.waitMs ?? 0));
    let res: Response;
    try {
      res = await fetch(base + path, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${options.token}`,
          accept: 'application/json, */*',
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: init.signal ? AbortSignal.any([timeout, init.signal]) : timeout,
      });
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      throw new SorUnavailableError(`Cannot reach the SOR for ${what} (${base}): ${cause}`);
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      await res.body?.cancel();
      throw new SorUnavailableError(`The SOR answered ${res.status} for ${what}.`);
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      // Not the record's fault: a wrong or expired token. Retried (with clear logs) until fixed.
      throw new SorUnavailableError(
        `The SOR refused our credentials (${res.status}) for ${what}: check the SOR token.`,
      );
    }
    try {
      const bytes = await readLimited(res, limit);
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', bytes };
    } catch (error) {
      if (error instanceof TooLargeError) {
        throw new SorRecordError(`The SOR's answer for ${what} is larger than ${limit} bytes.`);
      }
      const cause = error instanceof Error ? error.message : String(error);
      throw new SorUnavailableError(`Reading the SOR's answer for ${what} failed: ${cause}`);
    }
  }

  function json(what: string, reply: Reply): unknown {
    let text: string;
    try {
      text = decoder.decode(reply.bytes);
    } catch {
      throw new SorRecordError(`The SOR's answer for ${what} is not valid UTF-8.`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SorRecordError(`The SOR's answer for ${what} is not JSON.`);
    }
  }

  function parse<S extends z.ZodType>(what: string, schema: S, value: unknown): z.infer<S> {
    const result = schema.safeParse(value);
    if (!result.success) {
      throw new SorRecordError(
        `The SOR's answer for ${what} breaks the contract: ${describeIssues(result.error)}`,
      );
    }
    return result.data;
  }

  async function fetchAttachment(
    sorId: string,
    version: number,
    meta: { name: string; contentType: string; size: number; sha256: string },
  ): Promise<SorAttachment | 'gone'> {
    const what = `attachment ${JSON.stringify(meta.name)} of ${sorId} v${version}`;
    if (meta.size > MAX_ATTACHMENT_BYTES) {
      throw new SorRecordError(
        `${what} is ${meta.size} bytes, above the ${MAX_ATTACHMENT_BYTES}-byte limit.`,
      );
    }
    const reply = await request(
      what,
      SOR_PATHS.attachment(sorId, version, meta.name),
      meta.size, // exactly what was declared, not a byte more
    );
    if (reply.status === 404) return 'gone';
    if (reply.status !== 200)
      throw new SorRecordError(`The SOR answered ${reply.status} for ${what}.`);
    const digest = createHash('sha256').update(reply.bytes).digest('hex');
    if (reply.bytes.byteLength !== meta.size || digest !== meta.sha256) {
      throw new SorUnavailableError(
        `${what} does not match its declared size and SHA-256 (changed while being read?).`,
      );
    }
    return { name: meta.name, contentType: meta.contentType, data: reply.bytes };
  }

  async function fetchShareState(sorId: string): Promise<SorShareState | null> {
    const what = `recipients of ${JSON.stringify(sorId)}`;
    const reply = await request(what, SOR_PATHS.shareState(sorId), maxDocumentBytes);
    if (reply.status === 404) return null;
    if (reply.status !== 200) {
      throw new SorRecordError(`The SOR answered ${reply.status} for ${what}.`);
    }
    return parse(what, wireShareStateSchema, json(what, reply));
  }

  // Whether the SOR holds a long poll (it says so with longPoll: true). One that ignores waitMs
  // answers at once; asking it again between polls would only double the requests.
  let longPollSupported = true;

  return {
    async waitForChanges(cursor, timeoutMs, signal) {
      const waitMs = Math.min(Math.max(Math.round(timeoutMs), 0), MAX_LONG_POLL_MS);
      if (!longPollSupported || waitMs === 0) return false;
      const query = new URLSearchParams({ limit: '1', waitMs: String(waitMs) });
      if (cursor !== null) query.set('after', cursor);
      const what = `changes after ${cursor ?? 'the beginning'} (long poll)`;
      let reply: Reply;
      try {
        reply = await request(what, `${SOR_PATHS.changes}?${query}`, maxDocumentBytes, {
          waitMs,
          signal,
        });
      } catch (error) {
        if (signal.aborted) return false;
        throw error;
      }
      if (reply.status !== 200) {
        throw new SorUnavailableError(`The SOR answered ${reply.status} for ${what}.`);
      }
      const page = parse(what, wireChangePageSchema, json(what, reply));
      if (page.longPoll !== true) longPollSupported = false;
      return page.changes.length > 0;
    },

    async listChanges(cursor, limit) {
      const query = new URLSearchParams({ limit: String(limit) });
      if (cursor !== null) query.set('after', cursor);
      const what = `changes after ${cursor ?? 'the beginning'}`;
      const reply = await request(what, `${SOR_PATHS.changes}?${query}`, maxDocumentBytes);
      if (reply.status !== 200) {
        throw new SorUnavailableError(`The SOR answered ${reply.status} for ${what}.`);
      }
      const page = parse(what, wireChangePageSchema, json(what, reply));
      const changes: SorChange[] = [];
      const malformed: SorMalformedChange[] = [];
      page.changes.forEach((raw, index) => {
        const entry = wireChangeSchema.safeParse(raw);
        if (entry.success) changes.push(entry.data);
        else {
          malformed.push({
            reason: `SOR change #${index} after cursor ${cursor ?? '(start)'} is malformed: ${describeIssues(entry.error)}`,
            record: cutRecord(raw),
          });
        }
      });
      return { changes, malformed, nextCursor: page.nextCursor };
    },

    async fetchDocument(sorId) {
      const what = `document ${JSON.stringify(sorId)}`;
      // A new version may land between reading the document and its attachments (the old
      // version's attachments then 404): read it again, a few times at most.
      for (let round = 0; round < 3; round += 1) {
        const reply = await request(what, SOR_PATHS.document(sorId), maxDocumentBytes);
        if (reply.status === 404) return null;
        if (reply.status !== 200) {
          throw new SorRecordError(`The SOR answered ${reply.status} for ${what}.`);
        }
        const doc = parse(what, wireDocumentSchema, json(what, reply));
        if (doc.sorId !== sorId) {
          throw new SorRecordError(`The SOR answered ${what} with document ${doc.sorId}.`);
        }
        const attachments: SorAttachment[] = [];
        let gone = false;
        for (const meta of doc.attachments) {
          const got = await fetchAttachment(sorId, doc.version, meta);
          if (got === 'gone') {
            gone = true;
            break;
          }
          attachments.push(got);
        }
        if (gone) continue;
        const result: SorDocument = {
          sorId: doc.sorId,
          version: doc.version,
          approvedAt: doc.approvedAt,
          recipients: doc.recipients,
          content: doc.content,
          attachments,
        };
        return result;
      }
      throw new SorUnavailableError(`${what} kept changing while its attachments were read.`);
    },

    fetchShareState,

    async fetchShareHistory(sorId, userId): Promise<SorShareHistory | null> {
      const what = `share history of ${JSON.stringify(sorId)} with ${JSON.stringify(userId)}`;
      const reply = await request(what, SOR_PATHS.shareHistory(sorId, userId), maxDocumentBytes);
      if (reply.status === 404) {
        // A façade from before this operation answers 404 for the route itself. Returns must
        // not be refused as "no such briefing" then: they wait until the façade is upgraded.
        if ((await fetchShareState(sorId)) === null) return null;
        throw new SorUnavailableError(
          `The SOR has document ${JSON.stringify(sorId)} but no share history for it: the SOR façade does not implement GET /documents/{sorId}/share-history yet (server/openapi/sor-adapter.yaml). Returns wait until it does.`,
        );
      }
      if (reply.status !== 200) {
        throw new SorRecordError(`The SOR answered ${reply.status} for ${what}.`);
      }
      const history = parse(what, wireShareHistorySchema, json(what, reply));
      if (history.sorId !== sorId || history.userId !== userId) {
        throw new SorRecordError(
          `The SOR answered ${what} with ${JSON.stringify(history.sorId)} and ${JSON.stringify(history.userId)}.`,
        );
      }
      return history;
    },

    async writeReturn(item) {
      const what = `return ${JSON.stringify(item.idempotencyKey)}`;
      const reply = await request(what, SOR_PATHS.returns, 64 * 1024, {
        method: 'POST',
        body: item,
      });
      if (reply.status !== 200 && reply.status !== 201) {
        let detail = '';
        try {
          detail = `: ${decoder.decode(reply.bytes).slice(0, 500)}`;
        } catch {
          /* not text */
        }
        throw new SorRecordError(`The SOR refused ${what} (${reply.status})${detail}`);
      }
      return parse(what, wireReturnResultSchema, json(what, reply)).status;
    },

    async reportWithheld(notice) {
      const what = `delivery notice ${JSON.stringify(notice.idempotencyKey)}`;
      const reply = await request(what, SOR_PATHS.deliveryNotices, 64 * 1024, {
        method: 'POST',
        body: notice,
      });
      if (reply.status !== 200 && reply.status !== 201) {
        throw new SorRecordError(`The SOR refused ${what} (${reply.status})`);
      }
      return parse(what, wireReturnResultSchema, json(what, reply)).status;
    },

    async ping() {
      try {
        const reply = await request('health', SOR_PATHS.health, 64 * 1024);
        return reply.status === 200;
      } catch {
        return false;
      }
    },
  };
}
