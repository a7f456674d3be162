// Every decision of the device's sync, as one pure function: (model, event) -> model + effects.
// The shell (sync-service.ts) owns the timers, the network and the store; it turns what happens
// into events, feeds them here, and carries out the effects this returns, in order. So each
// transition (status, back-off per direction, 429 as back-pressure, offline and back, sign-in
// needed, the pull's phases) is tested here case by case without a network or a clock.
import { errorFields } from '../logging/logger.js';
import type { ReplicationEvent } from '../storage/types.js';
import type { DirectionState, Failure, SyncModel } from './status.js';
import { IDLE, failureForStatus, failureMessage } from './status.js';
import type { RequestOutcome } from './types.js';
import type {
  Decision,
  Direction,
  PerDirection,
  SyncCore,
  SyncEffect,
  SyncEvent,
  SyncPolicy,
} from './sync-model-types.js';
import { SignInNeededError } from './sync-model-types.js';

export type {
  Decision,
  Direction,
  PullPhase,
  SyncCore,
  SyncEffect,
  SyncEvent,
  SyncPolicy,
} from './sync-model-types.js';
export { INITIAL_CORE, SignInNeededError } from './sync-model-types.js';

export function statusOf(error: unknown): number | null {
  const status =
    typeof error === 'object' && error !== null
      ? (error as { status?: unknown }).status
      : undefined;
  return typeof status === 'number' ? status : null;
}

function seqNumber(seq: string | number): number | null {
  const n = typeof seq === 'number' ? seq : Number.parseInt(seq, 10);
  return Number.isFinite(n) ? n : null;
}

/** Builds the decision function for one policy (back-off and delays). */
export function createSyncDecisions(policy: SyncPolicy) {
  return (model: SyncCore, event: SyncEvent): Decision => {
    // One mutable draft per decision, so the cases below read as the rules they are.
    let m = model;
    const effects: SyncEffect[] = [];
    const set = (patch: Partial<SyncCore>): void => {
      m = { ...m, ...patch };
    };
    const setStatus = (patch: Partial<SyncModel>): void => {
      m = { ...m, status: { ...m.status, ...patch } };
    };
    const setDirection = (direction: Direction, state: DirectionState): void => {
      setStatus(direction === 'pull' ? { pull: state } : { push: state });
    };
    const per = <T>(value: PerDirection<T>, direction: Direction, next: T): PerDirection<T> =>
      direction === 'pull' ? { ...value, pull: next } : { ...value, push: next };
    const fail = (direction: Direction, failure: Failure): void => {
      set({ failures: per(m.failures, direction, m.failures[direction] + 1) });
      setDirection(direction, { phase: 'failing', failure, message: failureMessage(failure) });
    };
    const scheduleRestart = (delayMs?: number): void => {
      if (!m.running || m.restartScheduled) return;
      let delay = delayMs;
      if (delay === undefined) {
        set({ restartAttempts: m.restartAttempts + 1 });
        delay = policy.delayFor(m.restartAttempts);
      }
      set({ restartScheduled: true });
      effects.push({ type: 'schedule-restart', delayMs: delay });
    };
    const cancelRestart = (): void => {
      set({ restartScheduled: false });
      effects.push({ type: 'cancel-restart' });
    };
    const log = (
      level: 'debug' | 'info' | 'warn',
      message: string,
      fields: Readonly<Record<string, unknown>> = {},
    ): void => {
      effects.push({ type: 'log', level, message, fields });
    };
    const classify = (direction: Direction, error: unknown): Failure => {
      if (error instanceof SignInNeededError) return 'sign-in-needed';
      const status = statusOf(error);
      if (status !== null) {
        const byStatus = failureForStatus(status);
        if (byStatus !== null) return byStatus;
      }
      return m.lastFailure[direction] ?? 'offline';
    };
    const current = (generation: number): boolean => generation === m.generation && m.running;

    switch (event.type) {
      case 'started':
        set({ running: true });
        break;

      case 'stopping':
        set({ running: false, generation: m.generation + 1, purgeFallbackScheduled: false });
        cancelRestart();
        effects.push({ type: 'cancel-purge-fallback' });
        break;

      case 'stopped':
        setStatus({ pull: IDLE, push: IDLE });
        break;

      case 'persisted-state-read':
        set({ pushedSeq: event.pushedSeq });
        setStatus({ lastSyncedAt: event.lastSyncedAt });
        break;

      case 'pending-counted':
        setStatus({ pendingUploads: event.count });
        break;

      case 'connecting': {
        // A direction that is failing stays so until the server answers: reconnecting while
        // offline must not make the status flicker.
        const connecting = (state: DirectionState): DirectionState =>
          state.phase === 'failing' ? state : { ...IDLE, phase: 'connecting' };
        set({ generation: m.generation + 1, lastFailure: { pull: null, push: null } });
        setStatus({ pull: connecting(m.status.pull), push: connecting(m.status.push) });
        break;
      }

      case 'token-unavailable':
        if (event.generation !== m.generation) break;
        log(
          m.status.pull.phase === 'failing' ? 'debug' : 'info',
          'no access token: server unreachable',
          errorFields(event.error),
        );
        fail('pull', 'offline');
        fail('push', 'offline');
        scheduleRestart();
        break;

      case 'token-answered':
        if (!current(event.generation)) break;
        if (!event.signedIn) {
          // Nobody is signed in: replication would only fail. Ask the token provider again later.
          setStatus({ signInNeeded: true, pull: IDLE, push: IDLE });
          scheduleRestart(policy.signInRetryMs);
          break;
        }
        setStatus({ signInNeeded: false });
        effects.push({ type: 'start-replications', generation: m.generation });
        break;

      case 'authorize-failed':
        if (event.generation !== m.generation) break;
        set({ lastFailure: per(m.lastFailure, event.direction, event.failure) });
        if (event.failure === 'sign-in-needed') setStatus({ signInNeeded: true });
        break;

      case 'request':
        onRequest(event.direction, event.generation, event.outcome, event.at);
        break;

      case 'replication':
        // A checkpoint is a fact on disk whichever generation wrote it: a push cancelled by a
        // reconnect may write its last one after the cancel, and the next push resumes from it
        // without another (PouchDB announces only the checkpoints of batches it sends), so
        // dropping it would leave that many uploads counted as pending for good.
        if (event.event.kind === 'checkpoint' && event.direction === 'push') {
          onReplication(event.direction, event.generation, event.event, event.at);
          break;
        }
        if (!current(event.generation)) break;
        onReplication(event.direction, event.generation, event.event, event.at);
        break;

      case 'pull-phase':
        if (!current(event.generation)) break;
        set({ pullPhase: event.phase });
        break;

      case 'retry-wanted': {
        const attempt = m.retryAttempts[event.direction] + 1;
        set({
          retryAttempts: per(m.retryAttempts, event.direction, attempt),
          retryDelay: per(m.retryDelay, event.direction, policy.delayFor(attempt)),
        });
        break;
      }

      case 'restart-due':
        set({ restartScheduled: false });
        effects.push({ type: 'reconnect' });
        break;

      case 'reconnecting':
        cancelRestart();
        set({ generation: m.generation + 1 });
        break;

      case 'sync-wanted':
        set({
          restartAttempts: 0,
          ...(event.resetRefusals ? { refusedAttempts: 0 } : {}),
        });
        if (!m.purging) effects.push({ type: 'reconnect' });
        break;

      case 'briefings-deleted':
        // Purge once the pull has caught up (one purge for a burst of unshares), or after the
        // fallback delay if it does not catch up soon (content must not linger while offline).
        set({ purgeWanted: true });
        // One is running: it began before this deletion (or before these events were sent), so
        // it may have left them; the purge runs again once it ends ('purge-ended').
        if (m.purging) break;
        if (m.status.pull.phase === 'caught-up') {
          effects.push({ type: 'purge' });
        } else if (!m.purgeFallbackScheduled) {
          set({ purgeFallbackScheduled: true });
          effects.push({ type: 'schedule-purge-fallback', delayMs: policy.purgeFallbackMs });
        }
        break;

      case 'purge-fallback-due':
        set({ purgeFallbackScheduled: false });
        if (m.purgeWanted && m.running) effects.push({ type: 'purge' });
        break;

      case 'purge-begun':
        // The store swaps its briefings database during the purge; no replication may write to it.
        set({
          purging: true,
          purgeWanted: false,
          purgeFallbackScheduled: false,
          generation: m.generation + 1,
        });
        effects.push({ type: 'cancel-purge-fallback' });
        cancelRestart();
        break;

      case 'purge-ended':
        set({ purging: false });
        if (m.purgeWanted && m.running) effects.push({ type: 'purge' });
        break;
    }
    return { model: m, effects };

    function onRequest(
      direction: Direction,
      generation: number,
      outcome: RequestOutcome,
      at: Date,
    ): void {
      if (outcome.kind === 'wipe-ordered') {
        if (m.wipeOrdered) return;
        // Every further answer would be the same: stop asking the server anything.
        set({ wipeOrdered: true, running: false, generation: m.generation + 1 });
        log('warn', 'the server ordered this device wiped');
        cancelRestart();
        effects.push({ type: 'cancel-replications' });
        effects.push({ type: 'wipe-ordered', confirmation: outcome.confirmation });
        return;
      }
      if (!current(generation)) return;
      if (outcome.kind === 'network-error') {
        // Do not wait for the replication's back-off to say so: a dropped long poll means offline now.
        set({ lastFailure: per(m.lastFailure, direction, 'offline') });
        fail(direction, 'offline');
        return;
      }
      const { status } = outcome;
      if (status === 429) set({ throttled: per(m.throttled, direction, true) });
      else if (status < 500 && !m.throttled[direction])
        set({ retryAttempts: per(m.retryAttempts, direction, 0) });
      if (status < 300 && m.status[direction].phase === 'failing') {
        // The server answers again; the replication is resuming this direction.
        setDirection(direction, { phase: 'active', failure: null, message: null });
      }
      const failure = failureForStatus(status);
      if (status === 401) {
        if (m.refusedGeneration !== generation) {
          set({ refusedGeneration: generation, refusedAttempts: m.refusedAttempts + 1 });
          effects.push({ type: 'invalidate-token' });
        }
      } else if (failure === null) {
        set({ refusedAttempts: 0 });
      }
      set({ lastFailure: per(m.lastFailure, direction, failure) });
      if (failure === null && direction === 'pull' && m.status.pull.phase === 'caught-up') {
        // A long poll that comes back empty proves the device still holds everything.
        setStatus({ lastSyncedAt: at.toISOString() });
        effects.push({ type: 'persist', force: false });
      }
    }

    function onReplication(
      direction: Direction,
      generation: number,
      event: ReplicationEvent,
      at: Date,
    ): void {
      switch (event.kind) {
        case 'active':
          // A retry while offline also starts 'active' (the push finds its pending local
          // returns before it reaches the network); only a real answer ends 'failing'.
          if (m.status[direction].phase !== 'failing')
            setDirection(direction, { phase: 'active', failure: null, message: null });
          return;
        case 'paused':
          if (event.error) {
            const failure = classify(direction, event.error);
            // Retries while offline repeat this every back-off period; log the transition only.
            log(
              m.status[direction].phase === 'failing' ? 'debug' : 'info',
              'replication paused on failure',
              { direction, failure, ...errorFields(event.error) },
            );
            fail(direction, failure);
            return;
          }
          set({
            restartAttempts: 0,
            retryAttempts: per(m.retryAttempts, direction, 0),
            throttled: per(m.throttled, direction, false),
          });
          if (direction === 'pull') {
            setStatus({
              pull: { phase: 'caught-up', failure: null, message: null },
              signInNeeded: false,
              lastSyncedAt: at.toISOString(),
            });
            effects.push({ type: 'persist', force: true });
            if (m.purgeWanted) effects.push({ type: 'purge' });
          } else {
            // What was pushed is known from the checkpoints alone. (Reading the returns update
            // sequence here would race with a write just after the pause, and count it as sent:
            // PouchDB pauses a push with nothing to send without asking the server anything.)
            setStatus({
              push: { phase: 'caught-up', failure: null, message: null },
              signInNeeded: false,
            });
          }
          return;
        case 'change':
          set({ throttled: per(m.throttled, direction, false) });
          log('debug', 'replicated', { direction, docsWritten: event.docsWritten });
          return;
        case 'checkpoint': {
          if (direction !== 'push') return;
          const next = seqNumber(event.seq);
          const pushed = seqNumber(m.pushedSeq);
          if (next !== null && pushed !== null && next <= pushed) return;
          set({ pushedSeq: event.seq });
          effects.push({ type: 'persist', force: true }, { type: 'refresh-pending' });
          return;
        }
        case 'denied':
          // The server refused one document (its validation). It stays local and pending.
          log('warn', 'server refused a document', { direction, ...errorFields(event.error) });
          return;
        case 'stopped': {
          // The pull and PouchDB give up on 401/403; anything else ending a live replication
          // we did not cancel is unexpected. Either way, restart after a back-off.
          const failure = event.error ? classify(direction, event.error) : 'error';
          log('warn', 'replication stopped', {
            direction,
            failure,
            ...(event.error ? errorFields(event.error) : {}),
          });
          if (
            statusOf(event.error) === 401 &&
            m.refusedGeneration === generation &&
            m.refusedAttempts <= 1
          ) {
            // First refused attempt: most likely an expired token. Retry at once with a fresh
            // one; only a fresh token refused too means the reader must sign in again.
            scheduleRestart(0);
            return;
          }
          fail(direction, failure);
          scheduleRestart();
          return;
        }
      }
    }
  };
}
