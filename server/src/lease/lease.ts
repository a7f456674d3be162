// A lease in CouchDB, so that one instance at a time does a job (polling the SOR, integrating
// returns) however many instances run. The lease is one document in the control database,
// updated with its `_rev` as compare-and-swap; the holder renews it every third of its TTL.
//
// Expiry does not trust clocks across machines: a candidate takes over only after it has seen the
// same revision of the document, unchanged, for a whole TTL on its own monotonic clock. The
// holder counts its TTL from the moment it *sent* its last successful write, so it always stops
// acting before any candidate can start (given clocks that tick at about the same rate).
//
// The lease also carries small job data (the SOR cursor). Updating it is a CAS on the same
// document, so an instance that lost the lease (a long pause, a partition) cannot move the
// cursor any more: its write fails with a conflict and it steps down (fencing).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CONTROL_DB } from '../couch/control-db.js';
import type { CouchClient, CouchDoc } from '../couch/types.js';
import { CouchError } from '../couch/types.js';
import { createLogger, describeError } from '../observability/logger.js';

const log = createLogger('lease');

export type LeaseData = Readonly<Record<string, unknown>>;

export type Lease = {
  readonly name: string;
  /** true while this instance holds the lease and its last renewal is recent enough. */
  isHeld(): boolean;
  /** Acquires (when free or expired) or renews now; resolves to isHeld(). */
  tick(): Promise<boolean>;
  /** The job data as last read or written (only meaningful while held). */
  data(): LeaseData;
  /**
   * Replaces job data fields (and renews), only while held. Throws LeaseLostError when another
   * instance has taken the lease meanwhile.
   */
  update(patch: LeaseData): Promise<void>;
  /** Renews in the background every third of the TTL. */
  start(): void;
  /** Stops renewing and hands the lease over at once (others need not wait out the TTL). */
  stop(): Promise<void>;
};

export class LeaseLostError extends Error {
  readonly code = 'LEASE_LOST';
  constructor(name: string) {
    super(`Another instance holds the ${name} lease now.`);
    this.name = 'LeaseLostError';
  }
}

type LeaseDoc = CouchDoc & {
  readonly holder?: string;
  readonly incarnation?: string;
  readonly ttlMs?: number;
  readonly released?: boolean;
  readonly renewedAt?: string;
  readonly data?: LeaseData;
};

export type LeaseDeps = {
  readonly couch: CouchClient;
  /** The job, e.g. "poller": one lease document per job. */
  readonly name: string;
  /** This instance's name (stable across restarts of the same instance). */
  readonly instanceId: string;
  readonly ttlMs: number;
  readonly onChange?: (held: boolean) => void;
  readonly clock?: () => number;
};

const isConflict = (error: unknown) => error instanceof CouchError && error.code === 'conflict';

export function createCouchLease(deps: LeaseDeps): Lease {
  const clock = deps.clock ?? (() => performance.now());
  const docId = `lease:${deps.name}`;
  // Distinguishes this process from an earlier run of the same instance.
  const incarnation = randomBytes(8).toString('hex');
  // Stop acting a little before the TTL runs out, for clock-rate differences and slow requests.
  const margin = Math.min(1_000, deps.ttlMs / 10);

  let rev: string | undefined;
  let heldUntil = 0;
  let held = false;
  let data: LeaseData = {};
  let observed: { rev: string; since: number } | null = null;
  let timer: NodeJS.Timeout | null = null;
  // Every write goes through this chain: a renewal racing a cursor update with the same _rev
  // would make us conflict with ourselves.
  let chain: Promise<unknown> = Promise.resolve();

  const serial = <R>(work: () => Promise<R>): Promise<R> => {
    const next = chain.then(work, work);
    chain = next.catch(() => undefined);
    return next;
  };

  function setHeld(value: boolean, detail: Record<string, unknown> = {}): void {
    if (value === held) return;
    held = value;
    const context = { lease: deps.name, instance: deps.instanceId, ...detail };
    if (value) log.info(context, 'lease acquired');
    else if (detail['reason'] === 'released') log.info(context, 'lease released');
    else log.warn(context, 'lease lost');
    deps.onChange?.(value);
  }

  /** Writes the lease as ours (with `data`), on top of revision `baseRev`. */
  async function write(baseRev: string | undefined, nextData: LeaseData, released = false) {
    const sentAt = clock();
    const result = await deps.couch.putDoc(CONTROL_DB, {
      _id: docId,
      ...(baseRev ? { _rev: baseRev } : {}),
      holder: deps.instanceId,
      incarnation,
      ttlMs: deps.ttlMs,
      released,
      renewedAt: new Date().toISOString(),
      data: nextData,
    });
    rev = result.rev;
    data = nextData;
    // A cluster that did not reach its write quorum (202) might still lose this revision to a
    // concurrent one: do not count on it until a later write commits.
    heldUntil = result.committed === false ? 0 : sentAt + deps.ttlMs - margin;
  }

  const ours = (doc: LeaseDoc) => doc.holder === deps.instanceId && doc.incarnation === incarnation;

  async function acquireOrRenew(): Promise<boolean> {
    const doc: LeaseDoc | null = await deps.couch.getDoc(CONTROL_DB, docId);
    if (doc && ours(doc)) {
      await write(doc._rev, doc.data ?? {});
      return true;
    }
    let takeover: string | null = null;
    if (!doc) takeover = 'no holder';
    else if (doc.released) takeover = `released by ${String(doc.holder)}`;
    else if (doc.holder === deps.instanceId) takeover = 'held by an earlier run of this instance';
    else {
      const now = clock();
      if (!observed || observed.rev !== doc._rev) observed = { rev: doc._rev ?? '', since: now };
      const ttl = typeof doc.ttlMs === 'number' ? doc.ttlMs : deps.ttlMs;
      if (now - observed.since >= ttl) takeover = `${String(doc.holder)} stopped renewing`;
    }
    if (takeover === null) return false;
    await write(doc?._rev, doc?.data ?? {});
    log.info({ lease: deps.name, reason: takeover }, 'taking over the lease');
    return true;
  }

  async function tickOnce(): Promise<boolean> {
    try {
      const got = await acquireOrRenew();
      if (got && clock() < heldUntil) setHeld(true);
      else if (!got) {
        heldUntil = 0;
        setHeld(false);
      }
    } catch (error) {
      if (isConflict(error)) {
        // Someone else wrote first (or our own earlier write landed after all): look again.
        heldUntil = 0;
        setHeld(false, { reason: 'conflicting write' });
        observed = null;
      } else {
        log.warn({ lease: deps.name, err: describeError(error) }, 'cannot renew the lease');
        if (clock() >= heldUntil) setHeld(false, { reason: 'renewal failing' });
      }
    }
    return isHeldNow();
  }

  function isHeldNow(): boolean {
    if (held && clock() >= heldUntil) setHeld(false, { reason: 'not renewed in time' });
    return held;
  }

  return {
    name: deps.name,
    isHeld: isHeldNow,
    tick: () => serial(tickOnce),
    data: () => data,
    update: (patch) =>
      serial(async () => {
        if (!isHeldNow()) throw new LeaseLostError(deps.name);
        try {
          await write(rev, { ...data, ...patch });
        } catch (error) {
          if (isConflict(error)) {
            heldUntil = 0;
            setHeld(false, { reason: 'conflicting write' });
            throw new LeaseLostError(deps.name);
          }
          throw error;
        }
      }),
    start() {
      if (timer) return;
      const every = Math.max(100, Math.floor(deps.ttlMs / 3));
      const loop = () => {
        void serial(tickOnce).finally(() => {
          if (timer) timer = setTimeout(loop, every);
        });
      };
      timer = setTimeout(loop, 0);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await serial(async () => {
        if (!isHeldNow() || !rev) return;
        try {
          await write(rev, data, true);
        } catch (error) {
          log.warn({ lease: deps.name, err: describeError(error) }, 'could not release the lease');
        }
        heldUntil = 0;
        setHeld(false, { reason: 'released' });
      });
    },
  };
}
