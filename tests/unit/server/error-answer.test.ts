// The one mapping from a failure to what a server entry point answers (http/error-answer.ts).
import { describe, expect, it } from 'vitest';
import { CouchError } from '../../../server/src/couch/types.js';
import { HttpError, errorAnswer } from '../../../server/src/http/error-answer.js';
import { BodyError } from '../../../server/src/http/json-http.js';
import { QueueUnavailableError } from '../../../server/src/queue/types.js';
import { SorUnavailableError } from '../../../server/src/sor/types.js';

describe('error answers', () => {
  it('answers a refusal the entry point decided on as it was made, as expected', () => {
    const answer = errorAnswer(
      new HttpError(400, 'bad_request', 'The request body is invalid.', { problems: ['title'] }),
      'the demo SOR',
    );
    expect(answer).toEqual({
      status: 400,
      reason: 'The request body is invalid.',
      body: { error: 'bad_request', message: 'The request body is invalid.', problems: ['title'] },
      expected: true,
    });
  });

  it('answers a bad body with its own status and message', () => {
    const answer = errorAnswer(new BodyError(413, 'Body larger than 10 bytes.'), 'the ops server');
    expect(answer).toMatchObject({
      status: 413,
      body: { error: 'bad_request', message: 'Body larger than 10 bytes.' },
      expected: true,
    });
  });

  it('says to try again when a dependency is down, without its internals in the body', () => {
    const queue = errorAnswer(
      new QueueUnavailableError('RabbitMQ is unreachable (amqp://svc:pw@mq.internal).'),
      'the ops server',
    );
    expect(queue.status).toBe(503);
    expect(queue.reason).toContain('mq.internal');
    expect(JSON.stringify(queue.body)).not.toContain('mq.internal');
    expect(queue.body.message).toMatch(/Try again/);
    expect(errorAnswer(new SorUnavailableError('refused'), 'the broker').status).toBe(502);
    const couch = new CouchError('unavailable', 0, 'cannot reach couch.internal', 'get');
    expect(errorAnswer(couch, 'the broker')).toMatchObject({ status: 502, expected: false });
  });

  it('answers a bug with 500 (or the proxy status), the details in the reason only', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    const answer = errorAnswer(bug, 'the demo SOR');
    expect(answer).toEqual({
      status: 500,
      reason: "the demo SOR failed: Cannot read properties of undefined (reading 'id')",
      body: { error: 'internal', message: 'The demo SOR failed; see the server log.' },
      expected: false,
    });
    expect(errorAnswer(bug, 'the broker', { status: 502 }).status).toBe(502);
    expect(errorAnswer('a string thrown', 'the ops server').reason).toBe(
      'the ops server failed: a string thrown',
    );
  });
});
