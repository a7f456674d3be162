// The device's classification ceiling applied to its store: the pull refuses to store a
// briefing marked above it (and says so in the log), and a store that holds such briefings
// because the ceiling was lowered since has them deleted and their content purged from the
// disk before sync starts. Raising the ceiling reads the server's feed afresh (the filter's
// key changes), so what was refused arrives; a briefing purged here returns with its next
// version.
import type { Classification } from '../../shared/briefing.js';
import type { Logger } from '../logging/logger.js';
import type { BriefingFilter } from '../storage/store.pouch.js';
import type { UserStore } from '../storage/types.js';
import { exceedsCeiling } from './classification-policy.js';

export type StoreCeiling = {
  /** The marking above which nothing is stored (what a workspace thread rebuilds it from). */
  readonly level: Classification;
  readonly filter: BriefingFilter;
  /** Deletes and purges what the store holds above the ceiling; resolves with how many. */
  readonly purge: (store: UserStore) => Promise<number>;
};

const markingOf = (doc: Readonly<Record<string, unknown>>): string | null =>
  doc['type'] === 'briefing' && typeof doc['classification'] === 'string'
    ? doc['classification']
    : doc['type'] === 'briefing'
      ? ''
      : null;

/** Null at the top marking: nothing to refuse, and the pull stays unfiltered (and faster). */
export function storeCeiling(ceiling: Classification, logger: Logger): StoreCeiling | null {
  if (ceiling === 'TOP SECRET') return null;
  const log = logger.child('policy');
  const above = (doc: Readonly<Record<string, unknown>>): boolean => {
    const marking = markingOf(doc);
    return marking !== null && exceedsCeiling(marking, ceiling);
  };
  return {
    level: ceiling,
    filter: {
      key: `ceiling:${ceiling}`,
      accept: (doc) => {
        // Deletions and the server's design documents always pass.
        if (doc['_deleted'] === true || !above(doc)) return true;
        log.warn("refused to store a briefing above this device's classification ceiling", {
          id: doc._id,
          classification: doc['classification'],
          ceiling,
        });
        return false;
      },
    },
    purge: async (store) => {
      const held = (await store.listBriefingDocs()).filter(above).map((doc) => doc._id);
      if (held.length === 0) return 0;
      const removed = await store.removeBriefings(held);
      await store.purgeDeleted();
      log.warn("removed briefings above this device's lowered classification ceiling", {
        removed,
        ceiling,
      });
      return removed;
    },
  };
}
