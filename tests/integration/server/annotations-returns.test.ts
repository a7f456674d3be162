// Annotation events travel like every return: through the broker (only the author's, within the
// size limits, refused and audited otherwise), into the person's returns database (whose own
// validation refuses the same), and to the SOR through the returns integrator, exactly once in
// effect and audited; the demo SOR folds them per person (`npm run sor -- annotations <id>`).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../../../server/src/demo/sor/admin-cli.js';
import type { BriefingAnnotations } from '../../../server/src/demo/sor/annotations-view.js';
import { returnIdempotencyKey } from '../../../server/src/returns/returns-integrator.js';
import { ANNOTATION_LIMITS } from '../../../src/shared/annotations/events.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

type AuditLine = { action: string; user: string | null; [field: string]: unknown };
type StoredReturn = { idempotencyKey: string; userId: string; sorId: string; type: string };

const USER = 'nina.patel';
const OTHER = 'omar.haddad';
const LAPTOP = randomUUID();
const TABLET = randomUUID();

function auditLines(h: Harness): AuditLine[] {
  return fs
    .readFileSync(h.server.files.auditLog, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditLine);
}

/** An event as src/main/annotations/annotations-service.ts writes it. */
function annotationEvent(sorId: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'annotation-event',
    annotationId: randomUUID(),
    action: 'create',
    clock: 1,
    deviceId: LAPTOP,
    briefingId: `briefing:${sorId}`,
    sorId,
    sourceVersion: 1,
    exact: 'the fiscal outlook',
    prefix: 'present ',
    suffix: ' to Cabinet',
    start: 20,
    end: 38,
    colour: 'yellow',
    note: 'Ask Treasury',
    writtenAt: new Date().toISOString(),
    author: USER,
    ...extra,
  };
}
const eventId = () => `annotation-event:${randomUUID()}`;
const returnsPath = (id: string) => `/db/returns/${encodeURIComponent(id)}`;

describe('annotation events through the broker to the SOR', () => {
  let h: Harness;
  let sorId: string;
  beforeAll(async () => {
    h = await startHarness({ seedDemoData: false, returnsIntervalMs: 100 });
    const created = await h.admin('POST', '/briefings', briefingInput('Annotated', [USER, OTHER]));
    sorId = (created.body as { sorId: string }).sorId;
    const token = await h.devToken(USER);
    await waitFor(`${sorId} delivered`, async () =>
      (await h.broker(`/db/briefings/${encodeURIComponent(`briefing:${sorId}`)}`, { token }))
        .status === 200
        ? true
        : undefined,
    );
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('refuses, at the broker and in the database, an event of another author or over the limits', async () => {
    const token = await h.devToken(OTHER);
    const { returns } = h.dbNames(OTHER);
    const cases: [string, Record<string, unknown>, string][] = [
      [
        'written as another person',
        annotationEvent(sorId),
        'The author must be the signed-in user.',
      ],
      [
        'a note over the limit',
        annotationEvent(sorId, {
          author: OTHER,
          note: 'n'.repeat(ANNOTATION_LIMITS.noteChars + 1),
        }),
        `note must be text of 0 to ${ANNOTATION_LIMITS.noteChars} characters.`,
      ],
      [
        'an HTML body',
        annotationEvent(sorId, { author: OTHER, bodyHtml: '<script>x</script>' }),
        'Unknown field bodyHtml',
      ],
    ];
    for (const [what, body, reason] of cases) {
      const id = eventId();
      const viaBroker = await h.broker(returnsPath(id), { method: 'PUT', token, body });
      expect(viaBroker.status, what).toBe(403);
      const direct = await h.couchAs(OTHER, 'PUT', `/${returns}/${encodeURIComponent(id)}`, body);
      expect(direct.status, `${what}, straight to CouchDB`).toBe(403);
      expect(JSON.stringify(direct.body), what).toContain(reason);
      await waitFor(`audit record of ${what}`, () =>
        Promise.resolve(
          auditLines(h).some(
            (r) =>
              r.action === 'returns.invalid' &&
              r.user === OTHER &&
              r['docId'] === id &&
              String(r['reason']).includes(reason),
          ) || undefined,
        ),
      );
    }
  });

  it('delivers every event to the SOR once, audited, and the SOR folds them like the device', async () => {
    const token = await h.devToken(USER);
    const kept = annotationEvent(sorId);
    const annotationId = kept.annotationId;
    const removed = annotationEvent(sorId, { exact: 'Monday', note: '' });
    const events = [
      kept,
      // Two devices edited the note offline: both reach the SOR, one wins, the other is kept.
      annotationEvent(sorId, { annotationId, action: 'edit', clock: 2, note: 'laptop text' }),
      annotationEvent(sorId, {
        annotationId,
        action: 'edit',
        clock: 2,
        deviceId: TABLET,
        note: 'tablet text',
      }),
      removed,
      {
        ...annotationEvent(sorId, {
          annotationId: removed.annotationId,
          action: 'delete',
          clock: 2,
        }),
        exact: undefined,
        colour: undefined,
        note: undefined,
        prefix: undefined,
        suffix: undefined,
        start: undefined,
        end: undefined,
      },
    ];
    const ids = events.map(() => eventId());
    const bulk = await h.broker('/db/returns/_bulk_docs', {
      method: 'POST',
      token,
      body: {
        docs: events.map((event, i) => ({
          _id: ids[i],
          ...(JSON.parse(JSON.stringify(event)) as Record<string, unknown>),
        })),
      },
    });
    expect(bulk.status).toBe(201);
    expect((bulk.body as { error?: string }[]).filter((r) => r.error)).toEqual([]);

    const mine = async () =>
      ((await h.admin('GET', '/returns')).body as { returns: StoredReturn[] }).returns.filter(
        (r) => r.type === 'annotation-event' && r.userId === USER,
      );
    await waitFor('every event in the SOR', async () =>
      (await mine()).length === events.length ? true : undefined,
    );
    expect((await mine()).map((r) => r.idempotencyKey).sort()).toEqual(
      ids.map((id) => returnIdempotencyKey(USER, id)).sort(),
    );
    // A later return reaching the SOR proves the integrator passed over this database again
    // after the events: still once each.
    const sentinel = `read-receipt:${randomUUID()}`;
    const put = await h.broker(returnsPath(sentinel), {
      method: 'PUT',
      token,
      body: {
        type: 'read-receipt',
        briefingId: `briefing:${sorId}`,
        sorId,
        sourceVersion: 1,
        readAt: new Date().toISOString(),
        author: USER,
      },
    });
    expect(put.status).toBe(201);
    await waitFor(
      'the later return in the SOR',
      async () =>
        ((await h.admin('GET', '/returns')).body as { returns: StoredReturn[] }).returns.some(
          (r) => r.idempotencyKey === returnIdempotencyKey(USER, sentinel),
        ) || undefined,
    );
    expect(await mine()).toHaveLength(events.length);
    for (const id of ids) {
      expect(auditLines(h)).toContainEqual(
        expect.objectContaining({ action: 'returns.write', docId: id, type: 'annotation-event' }),
      );
    }

    const view = (await h.admin('GET', `/briefings/${sorId}/annotations`))
      .body as BriefingAnnotations;
    expect(view.people.map((p) => p.userId)).toEqual([USER]);
    const [person] = view.people;
    expect(person?.deleted).toBe(1);
    expect(person?.annotations).toHaveLength(1);
    const winner = TABLET > LAPTOP ? 'tablet text' : 'laptop text';
    const loser = TABLET > LAPTOP ? 'laptop text' : 'tablet text';
    expect(person?.annotations[0]).toMatchObject({
      type: 'Annotation',
      body: { type: 'TextualBody', value: winner, format: 'text/plain' },
      target: {
        source: sorId,
        selector: [
          { type: 'TextQuoteSelector', exact: 'the fiscal outlook' },
          { type: 'TextPositionSelector', start: 20, end: 38 },
        ],
      },
    });
    expect(person?.concurrentEdits[annotationId]).toEqual([loser]);

    // The admin CLI shows the same, per person.
    const printed: string[] = [];
    await runAdminCli(['annotations', sorId, '--url', h.server.urls.sor], {
      env: { ATTACHE_ADMIN_TOKEN: h.adminToken },
      fetch: globalThis.fetch,
      out: (text) => printed.push(text),
    });
    const text = printed.join('\n');
    expect(text).toContain(`${USER}: 1 annotation, 1 deleted (5 events)`);
    expect(text).toContain('"the fiscal outlook" v1 [yellow]');
    expect(text).toContain(`note: ${winner}`);
    expect(text).toContain(`also written at the same time: ${loser}`);
  });
});
