// What the broker answers itself for CouchDB's replicator: no checkpoint, a commit that CouchDB 3
// makes anyway; nothing else, and never a write.
import { describe, expect, it } from 'vitest';
import { decideRoute } from '../../../server/src/broker/broker-policy.js';
import { bulkGetBody } from '../../../server/src/broker/body-rules.js';
import { replicationAnswer } from '../../../server/src/broker/replication-answers.js';

const REP_ID = '3fe0bf5bdda573532f7dd2da827b6bb0';

describe("the broker's own answers to a CouchDB replicator", () => {
  it('finds no checkpoint on the server for a replication id, on either database', () => {
    for (const id of [REP_ID, `${REP_ID}+continuous`, `${REP_ID}+continuous+create_target`]) {
      expect(replicationAnswer('GET', `/db/briefings/_local/${id}`, '')).toEqual({
        alias: 'briefings',
        status: 404,
        body: { error: 'not_found', reason: 'missing' },
        reason: 'no replication checkpoint on the server',
      });
    }
    expect(replicationAnswer('HEAD', `/db/returns/_local/${REP_ID}`, '')?.status).toBe(404);
  });

  it('answers _ensure_full_commit as CouchDB 3 does', () => {
    expect(replicationAnswer('POST', '/db/returns/_ensure_full_commit', '')).toMatchObject({
      status: 201,
      body: { ok: true, instance_start_time: '0' },
    });
  });

  it('answers nothing else: writes, other local ids, queries and other paths go to the allow-list', () => {
    for (const [method, path, query] of [
      ['PUT', `/db/briefings/_local/${REP_ID}`, ''],
      ['DELETE', `/db/briefings/_local/${REP_ID}`, ''],
      ['GET', '/db/briefings/_local/_security', ''],
      ['GET', `/db/briefings/_local/${REP_ID.toUpperCase()}`, ''],
      ['GET', `/db/briefings/_local/${REP_ID}/x`, ''],
      ['GET', `/db/briefings/_local/${REP_ID}`, 'rev=1-a'],
      ['GET', '/db/briefings/_ensure_full_commit', ''],
      ['POST', '/db/other/_ensure_full_commit', ''],
      ['GET', `/_local/${REP_ID}`, ''],
    ] as const) {
      expect(replicationAnswer(method, path, query), `${method} ${path}?${query}`).toBeNull();
    }
    // And the allow-list refuses a checkpoint write.
    expect(decideRoute('PUT', `/db/briefings/_local/${REP_ID}`).allowed).toBe(false);
  });
});

describe('a _bulk_get body from CouchDB’s replicator', () => {
  const docs = [{ id: 'briefing:BRF-000001', rev: '1-0123456789abcdef0123456789abcdef' }];
  it('may repeat revs, attachments and latest=true beside docs', () => {
    expect(bulkGetBody.check({ docs, revs: true, latest: true, attachments: false })).toBeNull();
  });
  it('may not ask for latest=false, nor carry flags of another type or other fields', () => {
    expect(bulkGetBody.check({ docs, latest: false })?.status).toBe(400);
    expect(bulkGetBody.check({ docs, revs: 'yes' })?.status).toBe(400);
    expect(bulkGetBody.check({ docs, open_revs: 'all' })?.status).toBe(400);
  });
});
