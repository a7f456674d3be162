// The three replications of one connection, each over its own broker transport: the device's
// own pull of the briefings, the push of the returns, and the live pull of the returns (what the
// person's other devices wrote). Every request and replication event goes to the sync model as
// an event of its direction and generation, so a stale one (after a reconnect) counts for nothing.
import type { ReplicationEvent, ReplicationHandle, UserStore } from '../storage/types.js';
import type { BrokerTransportOptions } from './broker-remote.pouch.js';
import type { PullTuning } from './pull.js';
import { startPull } from './pull.js';
import type { Direction, SyncCore, SyncEvent } from './sync-model.js';
import { SignInNeededError } from './sync-model.js';
import type { BrokerTransport, RequestOutcome, TokenProvider } from './types.js';
import type { Logger } from '../logging/logger.js';

export type ReplicationsDeps = {
  readonly store: UserStore;
  readonly brokerUrl: string;
  readonly tokenProvider: TokenProvider;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly deviceHeaders?: Readonly<Record<string, string>>;
  readonly pullTuning?: Partial<PullTuning>;
  readonly createTransport: (options: BrokerTransportOptions) => BrokerTransport;
  /** The returns' pull's delay before its next attempt, given the previous one (0 at first). */
  readonly returnsBackOff: (previousMs: number) => number;
  readonly dispatch: (event: SyncEvent) => void;
  readonly model: () => SyncCore;
};

export function createReplications(deps: ReplicationsDeps) {
  const { store, tokenProvider, dispatch, now } = deps;

  const authorize = async (direction: Direction, generation: number): Promise<string> => {
    let token: string | null;
    try {
      token = await tokenProvider.getAccessToken();
    } catch (error) {
      dispatch({ type: 'authorize-failed', direction, generation, failure: 'offline' });
      throw error;
    }
    if (token === null) {
      dispatch({ type: 'authorize-failed', direction, generation, failure: 'sign-in-needed' });
      throw new SignInNeededError('No signed-in user');
    }
    return `Bearer ${token}`;
  };

  const transportFor = (
    direction: Direction,
    generation: number,
    onOutcome: (outcome: RequestOutcome) => void = (outcome) =>
      dispatch({ type: 'request', direction, generation, outcome, at: now() }),
  ): BrokerTransport =>
    deps.createTransport({
      brokerUrl: deps.brokerUrl,
      authorization: () => authorize(direction, generation),
      onRequest: onOutcome,
      ...(deps.deviceHeaders ? { headers: deps.deviceHeaders } : {}),
    });

  /** Starts all three for `generation`; `onPush` sees the push's events after the model. */
  const start = (
    generation: number,
    onPush: (event: ReplicationEvent) => void,
  ): ReplicationHandle[] => {
    const onEvent = (direction: Direction) => (event: ReplicationEvent) =>
      dispatch({ type: 'replication', direction, generation, event, at: now() });
    // The replications ask for their next delay; the model keeps it per direction.
    const backOff = (direction: Direction) => (): number => {
      dispatch({ type: 'retry-wanted', direction });
      return deps.model().retryDelay[direction];
    };
    const pushEvents = onEvent('push');
    return [
      startPull({
        transport: transportFor('pull', generation),
        target: store.pullTarget,
        logger: deps.logger,
        onEvent: onEvent('pull'),
        onPhase: (phase) => dispatch({ type: 'pull-phase', generation, phase }),
        backOff: backOff('pull'),
        ...(deps.pullTuning ? { tuning: deps.pullTuning } : {}),
      }),
      store.pushReturns({
        remote: transportFor('push', generation).remoteDatabase('returns'),
        onEvent: (event) => {
          pushEvents(event);
          onPush(event);
        },
        backOff: backOff('push'),
      }),
      startReturnsPull(generation),
    ];
  };

  // The status shows the briefings' pull and the push; the returns' pull runs beside them on
  // the same connection, so its network failures are theirs too and are not reported twice.
  // What the model must hear of it: a wipe order, a refusal of the token (401: the same renewal
  // and sign-in rules), and its end when not cancelled (a restart follows).
  const startReturnsPull = (generation: number): ReplicationHandle => {
    const pullEvents = (event: ReplicationEvent) =>
      dispatch({ type: 'replication', direction: 'pull', generation, event, at: now() });
    return startPull({
      database: 'returns',
      transport: transportFor('pull', generation, (outcome) => {
        if (
          outcome.kind === 'wipe-ordered' ||
          (outcome.kind === 'response' && outcome.status === 401)
        )
          dispatch({ type: 'request', direction: 'pull', generation, outcome, at: now() });
      }),
      target: store.returnsPullTarget,
      logger: deps.logger,
      onEvent: (event) => {
        if (event.kind === 'stopped') pullEvents(event);
      },
      // Its own back-off: the model counts the attempts of the briefings' pull.
      backOff: deps.returnsBackOff,
      tuning: { ...deps.pullTuning, newestFirst: 0 },
    });
  };

  return { start };
}
