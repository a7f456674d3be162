// How the broker answers and records each request. Every refusal looks the same to the device
// (one status and body per kind of refusal, never the reason), and every request gets exactly one
// `broker.request` record in the audit trail, whatever way it ends: allowed with the status the
// database answered, refused with the reason, or counted with others of its kind when a client
// can repeat it at will (audit/refusal-aggregator.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditLog } from '../audit/audit-log.js';
import type { RefusalAggregator } from '../audit/refusal-aggregator.js';
import { sendJson } from '../http/json-http.js';
import type { Metrics } from '../observability/metrics.js';
import { splitUrl } from './broker-request.js';

/** Longest path and query string kept in an audit record. */
const AUDIT_PATH_MAX = 256;
const AUDIT_QUERY_MAX = 512;

export const UNIFORM = {
  400: { error: 'bad_request' },
  401: { error: 'unauthorized' },
  403: { error: 'forbidden' },
  404: { error: 'not_found' },
  413: { error: 'payload_too_large' },
  429: { error: 'too_many_requests' },
  502: { error: 'bad_gateway' },
  503: { error: 'unavailable' },
} as const;

export type UniformStatus = keyof typeof UNIFORM;

/** The uniform status for a failure's status: one the broker has a body for, else 502. */
export function uniformStatus(status: number): UniformStatus {
  return status in UNIFORM ? (status as UniformStatus) : 502;
}

type Entry = {
  user: string | null;
  method: string;
  path: string;
  /** The query string as received, bounded, bearer-token-shaped values masked. */
  query?: string;
  client?: string;
  deviceId?: string;
  orderId?: string;
};

/**
 * One request's audit state: who it is known to be so far, and whether its record is written.
 * The pipeline adds to `entry` as it learns who is asking.
 */
export type Audited = { entry: Entry; recorded: boolean };

/** A query string for the audit trail: bounded, and nothing shaped like a JWT kept. */
function auditQuery(rawQuery: string): string {
  // Masked before it is cut: a cut token would no longer look like one.
  return rawQuery
    .replace(/[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[redacted]')
    .slice(0, AUDIT_QUERY_MAX);
}

/** The audit state of a request just received: nobody known yet, nothing recorded. */
export function auditedRequest(req: IncomingMessage): Audited {
  const { rawPath, rawQuery } = splitUrl(req.url);
  return {
    entry: {
      user: null,
      method: req.method ?? 'GET',
      path: rawPath.slice(0, AUDIT_PATH_MAX),
      ...(rawQuery === '' ? {} : { query: auditQuery(rawQuery) }),
    },
    recorded: false,
  };
}

export type BrokerAnswers = {
  /**
   * Records an allowed request once its outcome is known: with the status the database
   * answered (a write its validation refused shows here as 403), or why there was none.
   */
  readonly allowed: (audited: Audited, reason: string, status?: number) => void;
  /**
   * Records a refusal and sends the uniform answer for `status`. `kind` set: a refusal a client
   * can repeat at will, counted into one record per kind.
   */
  readonly refuse: (
    res: ServerResponse,
    audited: Audited,
    status: UniformStatus,
    reason: string,
    headers?: Readonly<Record<string, string>>,
    kind?: string,
  ) => void;
  /** Records the refusal of a device with a pending wipe order and sends it `body` (the order). */
  readonly wipeOrdered: (
    res: ServerResponse,
    audited: Audited,
    orderId: string,
    body: unknown,
  ) => void;
};

export function createBrokerAnswers(deps: {
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly refusals: RefusalAggregator;
}): BrokerAnswers {
  /** Marks the request recorded and counts the refusal; the record to write, `extra` included. */
  const refused = (
    audited: Audited,
    reason: string,
    status: number,
    extra: { readonly orderId?: string } = {},
  ) => {
    audited.recorded = true;
    deps.metrics.brokerDecision('refused');
    return {
      action: 'broker.request',
      ...audited.entry,
      decision: 'refused' as const,
      reason,
      ...extra,
      status,
    };
  };

  return {
    allowed: (audited, reason, status) => {
      if (audited.recorded) return;
      audited.recorded = true;
      deps.metrics.brokerDecision('allowed');
      deps.audit.record({
        action: 'broker.request',
        ...audited.entry,
        decision: 'allowed',
        reason,
        ...(status === undefined ? {} : { status }),
      });
    },

    refuse: (res, audited, status, reason, headers = {}, kind) => {
      if (!audited.recorded) {
        const entry = refused(audited, reason, status);
        if (kind === undefined) deps.audit.record(entry);
        else deps.refusals.record(kind, entry);
      }
      sendJson(res, status, UNIFORM[status], headers);
    },

    wipeOrdered: (res, audited, orderId, body) => {
      deps.audit.record(refused(audited, 'device wipe ordered', 403, { orderId }));
      sendJson(res, 403, body);
    },
  };
}
