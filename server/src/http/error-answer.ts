// What every HTTP entry point of the server (the broker, the ops server, the demo SOR's admin
// API) answers for a failure, decided in one place: the status, the reason written to the audit
// trail and the log, and a body with a stable `error` code and a message a person can act on.
// A refusal the entry point meant (HttpError, a bad body) is expected: answered as is, not
// logged as a fault. A dependency that is down is a 502 or 503 that says to try again. Anything
// else is a bug: 500, with the details in the server log only, since an answer can reach
// someone who must not read internal host names or credentials in an error message.
import { CouchError } from '../couch/types.js';
import { QueueUnavailableError } from '../queue/types.js';
import { SorUnavailableError } from '../sor/types.js';
import { BodyError } from './json-http.js';

/** A refusal an entry point decided on: answered with this status and body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export type ErrorAnswer = {
  readonly status: number;
  /** For the audit trail and the log: what went wrong, with the failure's own words. */
  readonly reason: string;
  /** For whoever asked: a stable code and a message without internals. */
  readonly body: { readonly error: string; readonly message: string } & Readonly<
    Record<string, unknown>
  >;
  /** false for a fault nobody meant (a bug or a dependency down): log it as an error. */
  readonly expected: boolean;
};

/**
 * The answer for `error`, thrown while `service` (e.g. "the demo SOR") handled a request.
 * `status` is what a fault nobody meant answers (500 unless the entry point is a proxy, 502).
 */
export function errorAnswer(
  error: unknown,
  service: string,
  options: { readonly status?: number } = {},
): ErrorAnswer {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      reason: error.message,
      body: { error: error.code, message: error.message, ...error.details },
      expected: true,
    };
  }
  if (error instanceof BodyError) {
    return {
      status: error.status,
      reason: error.message,
      body: { error: 'bad_request', message: error.message },
      expected: true,
    };
  }
  const said = error instanceof Error ? error.message : String(error);
  if (error instanceof QueueUnavailableError) {
    return unavailable(503, `the queue is unreachable: ${said}`, 'The queue is unreachable.');
  }
  if (error instanceof SorUnavailableError) {
    return unavailable(502, `the SOR is unreachable: ${said}`, 'The SOR is unreachable.');
  }
  if (error instanceof CouchError && (error.status >= 500 || error.status === 0)) {
    return unavailable(502, `CouchDB failed: ${said}`, 'The database is unavailable.');
  }
  return {
    status: options.status ?? 500,
    reason: `${service} failed: ${said}`,
    body: { error: 'internal', message: `${capitalise(service)} failed; see the server log.` },
    expected: false,
  };
}

function unavailable(status: number, reason: string, message: string): ErrorAnswer {
  return {
    status,
    reason,
    body: { error: 'unavailable', message: `${message} Try again in a moment.` },
    expected: false,
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
