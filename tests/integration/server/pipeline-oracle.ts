// The oracle of the pipeline tests: what every user's briefings database must hold, computed from
// the SOR alone, and a comparison with what CouchDB actually holds.
//   - exactly the briefings shared with the user now, each at the SOR's current version;
//   - nothing else (no briefing that is not shared, no database for a user never shared with);
//   - no duplicate revisions: a pair (briefing, user) that saw k change-log entries has at most
//     k revisions, and a briefing shared once and never changed has exactly revision 1.
import { briefingDocId } from '../../../src/shared/briefing.js';
import type { CouchClient } from '../../../server/src/couch/types.js';
import { userDbNames } from '../../../server/src/user-dbs/user-dbs.js';
import type { DemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';

export type OracleReport = {
  readonly users: number;
  readonly briefings: number;
  /** `${user} ${sorId}` of every briefing found where it belongs. */
  readonly present: readonly string[];
  readonly problems: readonly string[];
};

export async function checkUserDatabases(
  sor: DemoSor,
  couch: CouchClient,
  users: readonly string[],
): Promise<OracleReport> {
  const problems: string[] = [];
  const current = new Map(sor.list().map((b) => [b.sorId, b]));
  const entries = new Map<string, number>();
  const changes = await sor.listChanges(null, 1_000_000);
  for (const c of changes.changes) {
    const key = `${c.sorId}\u0000${c.recipient}`;
    entries.set(key, (entries.get(key) ?? 0) + 1);
  }
  const dbs = new Set(await couch.allDbs());
  let briefings = 0;
  const present: string[] = [];

  for (const user of users) {
    const expected = [...current.values()].filter((b) => b.recipients.includes(user));
    const db = userDbNames(user).briefings;
    if (!dbs.has(db)) {
      if (expected.length > 0) problems.push(`${user}: no database, expected ${expected.length}`);
      continue;
    }
    // The whole feed: every document once, at its winning revision (deleted ones flagged).
    const feed = await couch.changes(db, { since: '0', limit: 1_000_000, includeDocs: true });
    const held = new Map(
      feed.results
        .filter((r) => !r.deleted && r.id.startsWith('briefing:'))
        .map((r) => [r.id, r.doc as { _rev?: string; sourceVersion?: number }]),
    );
    for (const b of expected) {
      const row = held.get(briefingDocId(b.sorId));
      if (!row) {
        problems.push(`${user}: ${b.sorId} missing`);
        continue;
      }
      briefings += 1;
      present.push(`${user} ${b.sorId}`);
      if (row.sourceVersion !== b.version) {
        problems.push(`${user}: ${b.sorId} at v${row.sourceVersion}, SOR has v${b.version}`);
      }
      const generation = Number(row._rev?.split('-')[0]);
      const seen = entries.get(`${b.sorId}\u0000${user}`) ?? 0;
      if (generation > seen) {
        problems.push(
          `${user}: ${b.sorId} has revision ${generation} after only ${seen} change-log entries (a replay wrote again)`,
        );
      }
      if (seen === 1 && generation !== 1) {
        problems.push(`${user}: ${b.sorId} shared once, unchanged, yet at revision ${generation}`);
      }
    }
    const wanted = new Set(expected.map((b) => briefingDocId(b.sorId)));
    for (const id of held.keys()) {
      if (!wanted.has(id)) problems.push(`${user}: ${id} present but not shared with them`);
    }
  }
  return { users: users.length, briefings, present, problems };
}
