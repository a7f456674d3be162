// Which `_replicator` documents keep a secondary site in step with the primary, and what must
// change to get there from what a site's `_replicator` database holds (pure: the sites CLI does
// the reading and writing).
//
// Per person, three continuous replications, all run by the secondary site's CouchDB (the
// primary's operator only hands over a replication account, as in RapidFTR's camp model):
// - briefings from the primary (one way: only the primary's fan-out writes briefings);
// - returns from the primary, and returns to the primary (both ways: a device may sync at
//   either site, and its read receipts and notes must reach the SOR through the primary's
//   integrator and follow the person to the other site).
// Design documents are left out by a selector (`_id` not starting with "_"): each site installs
// its own validation (user-dbs.ts), so an upgrade at one site never rewrites the other's rules,
// and the returns database's two copies never fight over one design document. `_security` and
// `_local` documents never replicate in CouchDB anyway.
import { createHash } from 'node:crypto';
import type { CouchCredentials, CouchDoc } from '../couch/types.js';
import { userDbNames, userIdProblem } from '../user-dbs/user-dbs.js';

export type ReplicationDirection =
  'briefings-from-primary' | 'returns-from-primary' | 'returns-to-primary';

export const REPLICATION_DIRECTIONS: readonly ReplicationDirection[] = [
  'briefings-from-primary',
  'returns-from-primary',
  'returns-to-primary',
];

/** Where one site's CouchDB answers, as the secondary site's CouchDB reaches it. */
export type SiteEndpoint = { readonly url: string; readonly credentials: CouchCredentials };

/** Ids of Attaché's replication documents start with this; others in `_replicator` are left alone. */
export const SITE_REPLICATION_PREFIX = 'attache:';

/** Only ordinary documents: not `_design/` (each site installs its own validation). */
export const NO_DESIGN_DOCS = { _id: { $regex: '^[^_]' } } as const;

export type WantedReplication = {
  readonly id: string;
  readonly user: string;
  readonly direction: ReplicationDirection;
  readonly doc: CouchDoc;
};

/** The people whose databases the primary holds: both of a user's databases must be there. */
export function peopleOf(primaryDbs: readonly string[]): string[] {
  const names = new Set(primaryDbs);
  const people: string[] = [];
  for (const db of primaryDbs) {
    const hex = /^userdb-((?:[0-9a-f]{2})+)$/.exec(db)?.[1];
    if (!hex) continue;
    const user = Buffer.from(hex, 'hex').toString('utf8');
    // A name that does not round-trip (not UTF-8) or that Attaché would refuse is not ours.
    if (userDbNames(user).briefings !== db || userIdProblem(user) !== null) continue;
    if (names.has(userDbNames(user).returns)) people.push(user);
  }
  return people.sort();
}

function endpoint(site: SiteEndpoint, db: string) {
  return {
    url: `${site.url.replace(/\/+$/, '')}/${encodeURIComponent(db)}`,
    auth: { basic: { username: site.credentials.username, password: site.credentials.password } },
  };
}

/**
 * A digest of everything a replication document says, credentials included: a changed password
 * file or URL changes it, so the document is rewritten (and CouchDB restarts the job), while an
 * unchanged one is left alone (rewriting restarts the job for nothing). The passwords themselves
 * are compared only through it.
 */
function fingerprint(fields: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** The replication documents that keep `secondary` in step with `primary` for these people. */
export function wantedReplications(
  people: readonly string[],
  sites: { readonly primary: SiteEndpoint; readonly secondary: SiteEndpoint },
): WantedReplication[] {
  const wanted: WantedReplication[] = [];
  for (const user of people) {
    const names = userDbNames(user);
    const routes: [ReplicationDirection, string, SiteEndpoint, SiteEndpoint, string][] = [
      ['briefings-from-primary', names.briefings, sites.primary, sites.secondary, 'from-primary'],
      ['returns-from-primary', names.returns, sites.primary, sites.secondary, 'from-primary'],
      ['returns-to-primary', names.returns, sites.secondary, sites.primary, 'to-primary'],
    ];
    for (const [direction, db, from, to, suffix] of routes) {
      const fields = {
        source: endpoint(from, db),
        target: endpoint(to, db),
        continuous: true,
        // Both ends exist before the document does (the sites CLI sets the secondary's up with
        // its `_security` first): a target the replicator created would be open to no member.
        create_target: false,
        selector: NO_DESIGN_DOCS,
      };
      const id = `${SITE_REPLICATION_PREFIX}${db}:${suffix}`;
      wanted.push({
        id,
        user,
        direction,
        doc: {
          _id: id,
          ...fields,
          attache: { user, direction, fingerprint: fingerprint(fields) },
        },
      });
    }
  }
  return wanted;
}

export type ReplicationPlan = {
  readonly create: readonly CouchDoc[];
  readonly update: readonly CouchDoc[];
  /** Documents of people the primary no longer has (with their revisions, for deletion). */
  readonly remove: readonly { readonly _id: string; readonly _rev: string }[];
  readonly unchanged: number;
};

function fingerprintOf(doc: CouchDoc): string | null {
  const attache = doc['attache'] as { fingerprint?: unknown } | undefined;
  return typeof attache?.fingerprint === 'string' ? attache.fingerprint : null;
}

/**
 * What to write so that the site's Attaché replication documents are exactly `wanted`: new ones
 * created, changed ones rewritten over their current revision, those nobody wants removed.
 * Documents without Attaché's prefix are never touched.
 */
export function planReplications(
  current: readonly CouchDoc[],
  wanted: readonly WantedReplication[],
): ReplicationPlan {
  const existing = new Map(
    current.filter((doc) => doc._id.startsWith(SITE_REPLICATION_PREFIX)).map((d) => [d._id, d]),
  );
  const create: CouchDoc[] = [];
  const update: CouchDoc[] = [];
  let unchanged = 0;
  for (const { id, doc } of wanted) {
    const now = existing.get(id);
    existing.delete(id);
    if (!now) create.push(doc);
    else if (fingerprintOf(now) === fingerprintOf(doc)) unchanged += 1;
    else update.push({ ...doc, ...(now._rev ? { _rev: now._rev } : {}) });
  }
  const remove = [...existing.values()].flatMap((doc) =>
    doc._rev ? [{ _id: doc._id, _rev: doc._rev }] : [],
  );
  return { create, update, remove, unchanged };
}
