import { describe, expect, it } from 'vitest';
import {
  RevisionCheckError,
  createRevisionChecks,
} from '../../../server/src/broker/revision-checks.js';
import type { UpstreamAsk } from '../../../server/src/broker/revision-checks.js';

const REV = (n: number, c = 'a') => `${n}-${c.repeat(32)}`;

/** An upstream that answers one fixed thing and remembers what it was asked. */
function answering(status: number, body: unknown) {
  const asked: { method: string; path: string; body?: string }[] = [];
  const ask: UpstreamAsk = (method, path, _headers, sent) => {
    asked.push({ method, path, ...(sent === undefined ? {} : { body: sent }) });
    return Promise.resolve({
      status,
      headers: {},
      body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    });
  };
  return { ask, asked };
}

describe('live-leaf check: a rev is served only while it is the winner or a live conflict', () => {
  it('asks for the current document with its conflicts', async () => {
    const { ask, asked } = answering(200, { _id: 'a', _rev: REV(2) });
    await createRevisionChecks(ask).isLiveLeaf('/db/a', REV(2));
    expect(asked).toEqual([{ method: 'GET', path: '/db/a?conflicts=true' }]);
  });

  it.each([
    ['the winner', { _rev: REV(2) }, REV(2), true],
    ['a live conflict', { _rev: REV(2), _conflicts: [REV(2, 'b')] }, REV(2, 'b'), true],
    ['an ancestor of the winner', { _rev: REV(2) }, REV(1), false],
    ['a revision the document never had', { _rev: REV(2) }, REV(7, 'c'), false],
  ])('%s', async (_, doc, rev, live) => {
    const { ask } = answering(200, doc);
    expect(await createRevisionChecks(ask).isLiveLeaf('/db/a', rev)).toBe(live);
  });

  it('finds no live leaf in a deleted or missing document (404)', async () => {
    const { ask } = answering(404, { error: 'not_found', reason: 'deleted' });
    expect(await createRevisionChecks(ask).isLiveLeaf('/db/a', REV(1))).toBe(false);
  });

  it('fails, never passes, when the check itself fails', async () => {
    await expect(
      createRevisionChecks(answering(500, 'boom').ask).isLiveLeaf('/db/a', REV(1)),
    ).rejects.toThrow(RevisionCheckError);
    await expect(
      createRevisionChecks(answering(200, 'not json').ask).isLiveLeaf('/db/a', REV(1)),
    ).rejects.toThrow(RevisionCheckError);
  });
});

describe('revision history check: named revisions must be known before latest=true', () => {
  it('asks _revs_diff once for every document named, and lists what is missing', async () => {
    const { ask, asked } = answering(200, { a: { missing: [REV(9)] }, b: {} });
    const unknown = await createRevisionChecks(ask).unknownRevisions('/db', {
      a: [REV(1), REV(9)],
      b: [REV(2)],
    });
    expect(unknown).toEqual([`a ${REV(9)}`]);
    expect(asked).toEqual([
      {
        method: 'POST',
        path: '/db/_revs_diff',
        body: JSON.stringify({ a: [REV(1), REV(9)], b: [REV(2)] }),
      },
    ]);
  });

  it('asks nothing when nothing is named', async () => {
    const { ask, asked } = answering(200, {});
    expect(await createRevisionChecks(ask).unknownRevisions('/db', {})).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('fails with the upstream detail when _revs_diff fails', async () => {
    await expect(
      createRevisionChecks(answering(500, { reason: 'disk full' }).ask).unknownRevisions('/db', {
        a: [REV(1)],
      }),
    ).rejects.toThrow(/answered 500: .*disk full/);
  });
});
