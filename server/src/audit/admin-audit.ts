// The audit records of the administrators' HTTP endpoints (the demo SOR admin API, the ops
// server): what an administrator did with the admin token (created a briefing, replayed dead
// letters, listed a person's devices), and every request refused (no token, a wrong one, a bad
// body, a foreign Host). Refusals anyone can repeat at will are counted by kind
// (refusal-aggregator.ts), so a scan of the port costs the trail a bounded number of lines.
import type { IncomingMessage } from 'node:http';
import { limitKeyOf } from '../http/client-address.js';
import type { AuditLog } from './audit-log.js';
import type { RefusalAggregator } from './refusal-aggregator.js';

/** Longest path kept in an audit record. */
const AUDIT_PATH_MAX = 256;

export type AdminAudit = {
  /** An administrator's request that was carried out; `reason` says what it did. */
  allowed(
    req: IncomingMessage,
    reason: string,
    detail?: Readonly<Record<string, unknown>>,
    status?: number,
  ): void;
  /** A refused request (status 400 and above); `reason` says why. */
  refused(
    req: IncomingMessage,
    status: number,
    reason: string,
    detail?: Readonly<Record<string, unknown>>,
  ): void;
};

export function createAdminAudit(deps: {
  /** Names the records' action: `<server>.request`. */
  readonly server: 'sor-admin' | 'ops';
  readonly audit: AuditLog;
  readonly refusals: RefusalAggregator;
  readonly clientOf: (req: IncomingMessage) => string;
}): AdminAudit {
  const action = `${deps.server}.request`;
  const describe = (req: IncomingMessage) => ({
    method: req.method ?? 'GET',
    // The query stays out: the ops server's takes a user id, which a record names as `user`.
    path: (req.url ?? '/').split('?')[0]?.slice(0, AUDIT_PATH_MAX) ?? '/',
    client: deps.clientOf(req),
  });
  return {
    allowed(req, reason, detail = {}, status = 200) {
      deps.audit.record({
        action,
        user: null,
        ...describe(req),
        decision: 'allowed',
        reason,
        status,
        ...detail,
      });
    },
    refused(req, status, reason, detail = {}) {
      const request = describe(req);
      // The kind names nothing the client varies at will (the path, the body): one address
      // scanning paths is one kind per status and method.
      const kind = `${action}\u0000${limitKeyOf(request.client)}\u0000${status}\u0000${request.method.slice(0, 16)}`;
      deps.refusals.record(kind, {
        action,
        user: null,
        ...request,
        decision: 'refused',
        reason,
        status,
        ...detail,
      });
    },
  };
}
