// The state and lag of Attaché's site replications, from CouchDB's replication scheduler
// (`_scheduler/docs/_replicator`): one entry per replication document, with the scheduler's
// state (running, pending, crashing, failed, error, completed), how many changes of the source
// it has not yet read (`changes_pending`, the lag), and the error CouchDB last saw.
import type { ReplicationDirection } from './replication-plan.js';
import { REPLICATION_DIRECTIONS, SITE_REPLICATION_PREFIX } from './replication-plan.js';
import type { SiteCouch } from './site-couch.js';

/** The scheduler's states of a replication document (CouchDB 3.x). */
export const REPLICATION_STATES = [
  'initializing',
  'running',
  'pending',
  'crashing',
  'error',
  'failed',
  'completed',
] as const;
export type ReplicationState = (typeof REPLICATION_STATES)[number];

export type ReplicationStatus = {
  readonly id: string;
  readonly direction: ReplicationDirection | null;
  readonly state: ReplicationState;
  /** Changes of the source not yet read; null while the scheduler does not know. */
  readonly changesPending: number | null;
  readonly docsWritten: number;
  readonly docWriteFailures: number;
  readonly errorCount: number;
  /** What CouchDB last said went wrong (crashing, error, failed). */
  readonly error: string | null;
  readonly lastUpdated: string | null;
};

const PAGE = 500;

function directionOf(id: string): ReplicationDirection | null {
  if (id.endsWith(':to-primary')) return 'returns-to-primary';
  if (!id.endsWith(':from-primary')) return null;
  return id.startsWith(`${SITE_REPLICATION_PREFIX}returns-`)
    ? 'returns-from-primary'
    : 'briefings-from-primary';
}

function stateOf(value: unknown): ReplicationState {
  return REPLICATION_STATES.find((s) => s === value) ?? 'error';
}

type SchedulerDoc = {
  doc_id?: unknown;
  state?: unknown;
  error_count?: unknown;
  last_updated?: unknown;
  info?: {
    changes_pending?: unknown;
    source_seq?: unknown;
    through_seq?: unknown;
    docs_written?: unknown;
    doc_write_failures?: unknown;
    error?: unknown;
  } | null;
};

/** The scheduler's error: a string, or (for some failures) an object; null for none. */
function describeSchedulerError(error: unknown): string | null {
  if (error === undefined || error === null) return null;
  return typeof error === 'string' ? error : JSON.stringify(error);
}

/** The number in front of a CouchDB 3 sequence ("4-g1AAA..."): the sum of its shards' sequences. */
function seqNumber(seq: unknown): number | null {
  const match = typeof seq === 'string' ? /^(\d+)-/.exec(seq) : null;
  if (match) return Number(match[1]);
  return typeof seq === 'number' ? seq : null;
}

/**
 * The lag in changes: CouchDB's `changes_pending` where it has one, which a continuous job
 * often has not (its changes feed reports none); otherwise how far what the job has written
 * (`through_seq`) is behind the latest source sequence it has seen (`source_seq`).
 */
function lagOf(info: NonNullable<SchedulerDoc['info']>): number | null {
  if (typeof info.changes_pending === 'number') return info.changes_pending;
  const source = seqNumber(info.source_seq);
  const through = seqNumber(info.through_seq);
  return source === null || through === null ? null : Math.max(0, source - through);
}

/** One scheduler entry as Attaché reports it (pure). */
export function toReplicationStatus(entry: SchedulerDoc): ReplicationStatus | null {
  const id = typeof entry.doc_id === 'string' ? entry.doc_id : null;
  if (!id?.startsWith(SITE_REPLICATION_PREFIX)) return null;
  const info = entry.info ?? {};
  const num = (value: unknown) => (typeof value === 'number' ? value : 0);
  return {
    id,
    direction: directionOf(id),
    state: stateOf(entry.state),
    changesPending: lagOf(info),
    docsWritten: num(info.docs_written),
    docWriteFailures: num(info.doc_write_failures),
    errorCount: num(entry.error_count),
    error: describeSchedulerError(info.error),
    lastUpdated: typeof entry.last_updated === 'string' ? entry.last_updated : null,
  };
}

/** Every Attaché replication the site's scheduler knows, in id order. */
export async function readSiteReplications(couch: SiteCouch): Promise<ReplicationStatus[]> {
  const found: ReplicationStatus[] = [];
  for (let skip = 0; ; skip += PAGE) {
    const { status, body } = await couch.request(
      'read the replication scheduler',
      'GET',
      `/_scheduler/docs/_replicator?limit=${PAGE}&skip=${skip}`,
      // No `_replicator` database (yet): no replications.
      { allow: [404] },
    );
    if (status === 404) return found;
    const docs = (body as { docs?: SchedulerDoc[] }).docs ?? [];
    for (const doc of docs) {
      const status = toReplicationStatus(doc);
      if (status) found.push(status);
    }
    if (docs.length < PAGE) return found.sort((a, b) => a.id.localeCompare(b.id));
  }
}

export type DirectionSummary = {
  readonly byState: Readonly<Record<ReplicationState, number>>;
  readonly changesPending: number;
  readonly maxChangesPending: number;
};

/** Counts per direction and state, and the lag summed and at its worst (pure). */
export function summarizeReplications(
  replications: readonly ReplicationStatus[],
): Record<ReplicationDirection, DirectionSummary> {
  const empty = (): DirectionSummary => ({
    byState: Object.fromEntries(REPLICATION_STATES.map((s) => [s, 0])) as Record<
      ReplicationState,
      number
    >,
    changesPending: 0,
    maxChangesPending: 0,
  });
  const summary = Object.fromEntries(REPLICATION_DIRECTIONS.map((d) => [d, empty()])) as Record<
    ReplicationDirection,
    { byState: Record<ReplicationState, number>; changesPending: number; maxChangesPending: number }
  >;
  for (const r of replications) {
    if (!r.direction) continue;
    const s = summary[r.direction];
    s.byState[r.state] += 1;
    const pending = r.changesPending ?? 0;
    s.changesPending += pending;
    s.maxChangesPending = Math.max(s.maxChangesPending, pending);
  }
  return summary;
}
