import { describe, expect, it } from 'vitest';
import { deriveStatus } from '../../../src/main/sync/status.js';
import { backoffDelayMs } from '../../../src/shared/backoff.js';
import type { SyncCore, SyncEffect, SyncEvent } from '../../../src/main/sync/sync-model.js';
import {
  INITIAL_CORE,
  SignInNeededError,
  createSyncDecisions,
} from '../../../src/main/sync/sync-model.js';

// The shared back-off without jitter, from 100 ms capped at 800 ms: delays are predictable.
const decide = createSyncDecisions({
  delayFor: (attempt) => backoffDelayMs(attempt, { baseDelayMs: 100, maxDelayMs: 800 }, () => 1),
  signInRetryMs: 30_000,
  purgeFallbackMs: 5_000,
});
const at = new Date('2026-12-06T04:00:00.000Z');

function run(model: SyncCore, ...events: SyncEvent[]): { model: SyncCore; effects: SyncEffect[] } {
  let current = model;
  const effects: SyncEffect[] = [];
  for (const event of events) {
    const decision = decide(current, event);
    current = decision.model;
    effects.push(...decision.effects);
  }
  return { model: current, effects };
}
const withoutLogs = (effects: SyncEffect[]): SyncEffect[] =>
  effects.filter((effect) => effect.type !== 'log');

/** Started and connected with a token: generation 1, both replications started. */
function connected(): SyncCore {
  const { model } = run(
    INITIAL_CORE,
    { type: 'started' },
    { type: 'connecting' },
    { type: 'token-answered', generation: 1, signedIn: true },
  );
  return model;
}
const response = (direction: 'pull' | 'push', status: number, generation = 1): SyncEvent => ({
  type: 'request',
  direction,
  generation,
  outcome: { kind: 'response', status },
  at,
});
const replication = (
  direction: 'pull' | 'push',
  event: Extract<SyncEvent, { type: 'replication' }>['event'],
  generation = 1,
): SyncEvent => ({ type: 'replication', direction, generation, event, at });
const offlineError = Object.assign(new Error('fetch failed'), { code: 'ECONNREFUSED' });

describe('sync decisions', () => {
  it('goes connecting -> syncing -> up to date as both directions start and catch up', () => {
    let { model } = run(INITIAL_CORE, { type: 'started' }, { type: 'connecting' });
    expect(deriveStatus(model.status).state).toBe('connecting');
    let effects: SyncEffect[];
    ({ model, effects } = run(model, { type: 'token-answered', generation: 1, signedIn: true }));
    expect(effects).toEqual([{ type: 'start-replications', generation: 1 }]);
    ({ model } = run(model, replication('pull', { kind: 'active' })));
    expect(deriveStatus(model.status).state).toBe('syncing');
    ({ model, effects } = run(
      model,
      replication('pull', { kind: 'paused', error: null }),
      replication('push', { kind: 'paused', error: null }),
    ));
    expect(deriveStatus(model.status)).toMatchObject({
      state: 'up-to-date',
      lastSyncedAt: at.toISOString(),
    });
    expect(effects).toContainEqual({ type: 'persist', force: true });
  });

  it('asks the reader to sign in, starts nothing, and asks the token provider again later', () => {
    const { model, effects } = run(
      INITIAL_CORE,
      { type: 'started' },
      { type: 'connecting' },
      { type: 'token-answered', generation: 1, signedIn: false },
    );
    expect(deriveStatus(model.status).state).toBe('sign-in-needed');
    expect(effects).toEqual([{ type: 'schedule-restart', delayMs: 30_000 }]);
  });

  it('renews the token once after a 401 and retries at once; a second refusal needs sign-in', () => {
    const refused = Object.assign(new Error('unauthorized'), { status: 401 });
    let { model, effects } = run(
      connected(),
      response('pull', 401),
      replication('pull', { kind: 'stopped', error: refused }),
    );
    expect(withoutLogs(effects)).toEqual([
      { type: 'invalidate-token' },
      { type: 'schedule-restart', delayMs: 0 },
    ]);
    expect(deriveStatus(model.status).state).not.toBe('sign-in-needed');
    ({ model, effects } = run(
      model,
      { type: 'restart-due' },
      { type: 'reconnecting' },
      { type: 'connecting' },
      { type: 'token-answered', generation: 3, signedIn: true },
      response('pull', 401, 3),
      replication('pull', { kind: 'stopped', error: refused }, 3),
    ));
    expect(deriveStatus(model.status).state).toBe('sign-in-needed');
    expect(effects).toContainEqual({ type: 'schedule-restart', delayMs: 100 });
  });

  it('reports offline at once when a request cannot reach the broker, and back once it answers', () => {
    let { model } = run(connected(), replication('pull', { kind: 'paused', error: null }), {
      type: 'request',
      direction: 'pull',
      generation: 1,
      outcome: { kind: 'network-error', error: offlineError },
      at,
    });
    expect(deriveStatus(model.status).state).toBe('offline');
    // A retry turning active without an answer does not end 'offline' (no flicker).
    ({ model } = run(model, replication('pull', { kind: 'active' })));
    expect(deriveStatus(model.status).state).toBe('offline');
    ({ model } = run(model, response('pull', 200)));
    expect(deriveStatus(model.status).state).toBe('syncing');
  });

  it('reports offline and backs off the restart while no token can be obtained', () => {
    let { model, effects } = run(
      INITIAL_CORE,
      { type: 'started' },
      { type: 'connecting' },
      { type: 'token-unavailable', generation: 1, error: offlineError },
    );
    expect(deriveStatus(model.status).state).toBe('offline');
    expect(withoutLogs(effects)).toEqual([{ type: 'schedule-restart', delayMs: 100 }]);
    ({ model, effects } = run(
      model,
      { type: 'restart-due' },
      { type: 'reconnecting' },
      { type: 'connecting' },
      { type: 'token-unavailable', generation: 3, error: offlineError },
    ));
    expect(withoutLogs(effects)).toContainEqual({ type: 'schedule-restart', delayMs: 200 });
    // Reconnecting while offline keeps 'failing': the status stays offline throughout.
    expect(deriveStatus(model.status).state).toBe('offline');
  });

  it('keeps a back-off per direction: a failing push does not slow the pull', () => {
    const { model } = run(
      connected(),
      { type: 'retry-wanted', direction: 'push' },
      { type: 'retry-wanted', direction: 'push' },
      { type: 'retry-wanted', direction: 'push' },
      { type: 'retry-wanted', direction: 'pull' },
    );
    expect(model.retryDelay).toEqual({ pull: 100, push: 400 });
    // An answer from the server resets only its own direction: its next retry waits 100 ms again.
    const answered = run(model, response('push', 201), {
      type: 'retry-wanted',
      direction: 'push',
    }).model;
    expect(answered.retryAttempts).toEqual({ pull: 1, push: 1 });
    expect(answered.retryDelay).toEqual({ pull: 100, push: 100 });
  });

  it('treats a 429 as back-pressure: the back-off keeps growing through answers, nothing is shown', () => {
    let { model } = run(
      connected(),
      replication('push', { kind: 'active' }),
      { type: 'retry-wanted', direction: 'push' },
      response('push', 429),
      // The retry's first requests are answered; only the write is refused.
      response('push', 200),
      { type: 'retry-wanted', direction: 'push' },
    );
    expect(model.retryDelay.push).toBe(200);
    expect(deriveStatus(model.status).state).toBe('syncing');
    // A batch gets through: the pressure is over and the back-off starts again from the start.
    ({ model } = run(model, replication('push', { kind: 'change', docsWritten: 3, ids: [] })));
    ({ model } = run(model, response('push', 200)));
    expect(model.throttled.push).toBe(false);
    expect(model.retryAttempts.push).toBe(0);
  });

  it('shows a refusal (403) as an error with its advice', () => {
    const refused = Object.assign(new Error('forbidden'), { status: 403 });
    const { model } = run(
      connected(),
      response('pull', 403),
      replication('pull', { kind: 'paused', error: refused }),
    );
    const status = deriveStatus(model.status);
    expect(status.state).toBe('error');
    expect(status.message).toContain('contact IT support');
  });

  it('classifies a failure without a status by what the last request said', () => {
    const { model } = run(
      connected(),
      response('push', 503),
      replication('push', { kind: 'paused', error: new Error('bad gateway') }),
    );
    expect(deriveStatus(model.status).state).toBe('offline');
    const signIn = run(connected(), {
      type: 'replication',
      direction: 'push',
      generation: 1,
      event: { kind: 'paused', error: new SignInNeededError('No signed-in user') },
      at,
    }).model;
    expect(deriveStatus(signIn.status).state).toBe('sign-in-needed');
  });

  it('ignores events of an older generation (a cancelled replication still reporting)', () => {
    const { model } = run(
      connected(),
      { type: 'reconnecting' },
      response('pull', 500, 1),
      replication('pull', { kind: 'paused', error: offlineError }, 1),
      { type: 'pull-phase', generation: 1, phase: 'live' },
    );
    expect(model.status.pull.phase).toBe('connecting');
    expect(model.pullPhase).toBe('not-started');
  });

  it('records the pull phases of a first sync in order: newest first, fill, final pass, live', () => {
    const seen: string[] = [];
    let model = connected();
    for (const phase of ['newest-first', 'fill', 'final-pass', 'live'] as const) {
      model = run(model, { type: 'pull-phase', generation: 1, phase }).model;
      seen.push(model.pullPhase);
    }
    expect(seen).toEqual(['newest-first', 'fill', 'final-pass', 'live']);
  });

  it('advances the pushed watermark only forward, persisting and recounting each time', () => {
    let { model, effects } = run(connected(), replication('push', { kind: 'checkpoint', seq: 5 }));
    expect(model.pushedSeq).toBe(5);
    expect(effects).toEqual([{ type: 'persist', force: true }, { type: 'refresh-pending' }]);
    ({ model, effects } = run(model, replication('push', { kind: 'checkpoint', seq: 3 })));
    expect(model.pushedSeq).toBe(5);
    expect(effects).toEqual([]);
  });

  it('takes a push checkpoint written after a reconnect cancelled its replication', () => {
    // The next push resumes from that checkpoint and announces none if nothing is left to send.
    const reconnected = run(connected(), { type: 'reconnecting' }, { type: 'connecting' }).model;
    expect(reconnected.generation).toBeGreaterThan(1);
    const { model, effects } = run(
      reconnected,
      replication('push', { kind: 'checkpoint', seq: 7 }, 1),
    );
    expect(model.pushedSeq).toBe(7);
    expect(effects).toEqual([{ type: 'persist', force: true }, { type: 'refresh-pending' }]);
    // Anything else from a cancelled replication still says nothing about the current one.
    const paused = run(
      reconnected,
      replication('push', { kind: 'paused', error: offlineError }, 1),
    );
    expect(paused.model.status.push).toEqual(reconnected.status.push);
  });

  it('touches lastSyncedAt (throttled persist) when a long poll comes back while caught up', () => {
    const later = new Date('2026-12-06T04:05:00.000Z');
    const { model, effects } = run(
      connected(),
      replication('pull', { kind: 'paused', error: null }),
      {
        type: 'request',
        direction: 'pull',
        generation: 1,
        outcome: { kind: 'response', status: 200 },
        at: later,
      },
    );
    expect(model.status.lastSyncedAt).toBe(later.toISOString());
    expect(effects).toContainEqual({ type: 'persist', force: false });
  });

  it('purges unshared briefings once the pull has caught up, or after the fallback delay', () => {
    let { model, effects } = run(connected(), { type: 'briefings-deleted' });
    expect(effects).toEqual([{ type: 'schedule-purge-fallback', delayMs: 5_000 }]);
    // A second unshare in the same burst schedules nothing more.
    expect(run(model, { type: 'briefings-deleted' }).effects).toEqual([]);
    ({ effects } = run(model, replication('pull', { kind: 'paused', error: null })));
    expect(effects).toContainEqual({ type: 'purge' });
    ({ effects } = run(model, { type: 'purge-fallback-due' }));
    expect(effects).toEqual([{ type: 'purge' }]);
    ({ model } = run(model, { type: 'purge-begun' }));
    expect(model.purgeWanted).toBe(false);
    // While purging, a sync request does not reconnect: the purge connects when it is done.
    expect(run(model, { type: 'sync-wanted', resetRefusals: true }).effects).toEqual([]);
  });

  it('purges again once a purge ends when more was withdrawn or sent while it ran', () => {
    let { model } = run(connected(), replication('pull', { kind: 'paused', error: null }), {
      type: 'purge-begun',
    });
    // Told while the purge runs (a push checkpoint of a withdrawn briefing's events, another
    // unshare): the running purge may have begun without them, and asking it again now would
    // only join it.
    let effects: SyncEffect[];
    ({ model, effects } = run(model, { type: 'briefings-deleted' }));
    expect(effects).toEqual([]);
    ({ model, effects } = run(model, { type: 'purge-ended' }));
    expect(effects).toEqual([{ type: 'purge' }]);
    expect(model.purging).toBe(false);
    // Nothing told meanwhile: nothing more to do.
    ({ model } = run(model, { type: 'purge-begun' }));
    expect(run(model, { type: 'purge-ended' }).effects).toEqual([]);
  });

  it('stops everything once on a wipe order, and ignores every later answer', () => {
    const { model, effects } = run(
      connected(),
      {
        type: 'request',
        direction: 'pull',
        generation: 1,
        outcome: { kind: 'wipe-ordered', confirmation: 'once' },
        at,
      },
      {
        type: 'request',
        direction: 'push',
        generation: 1,
        outcome: { kind: 'wipe-ordered', confirmation: 'once' },
        at,
      },
    );
    expect(model.running).toBe(false);
    expect(withoutLogs(effects)).toEqual([
      { type: 'cancel-restart' },
      { type: 'cancel-replications' },
      { type: 'wipe-ordered', confirmation: 'once' },
    ]);
  });
});
