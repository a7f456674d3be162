// The device's sign-in state machine: who is signed in, whether their briefings may be opened
// (offline policy), the interactive sign-in in progress, renewal failures, sign-out. The sync
// service sees only its `tokenProvider`; the reader sees a snapshot (via the session controller).
//
//   signed-out --sign-in--> signed-in --offline too long--> locked --silent renewal/sign-in--> signed-in
//        ^                      |  renewal refused: signInNeeded (briefings stay readable)
//        +------sign-out--------+
//
// Invariants: exactly one account is known at a time; `signed-in` means its local store may be
// opened; tokens never leave this module except as the sync service's bearer token.
//
// This file is the shell: it owns the timers, the keychain record and the calls to the identity
// provider. The states and the decisions over them are pure (sign-in-state.ts, offline-policy.ts);
// the token handed to sync, held in memory between renewals, is access-token-holder.ts.
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import { forgetSecrets } from '../logging/redact.js';
import type { TokenProvider } from '../sync/types.js';
import { KeychainError } from '../secrets/types.js';
import { createAccessTokenHolder } from './access-token-holder.js';
import type { LockReason, OfflinePolicy, OnlineHistory } from './offline-policy.js';
import { offlineAccess, sawTime, wentOnline } from './offline-policy.js';
import type { SessionRecordStore } from './session-record.js';
import type { AuthSnapshot } from './sign-in-state.js';
import {
  IDLE,
  SIGNED_OUT,
  failedAttempt,
  isHttpsUrl,
  restoredSnapshot,
  signInEnding,
} from './sign-in-state.js';
import type { AuthAccount, IdentityClient, TokenGrant } from './types.js';
import { AuthError } from './types.js';

export type { AuthSnapshot, AuthState, SignInAttempt, SignInFailure } from './sign-in-state.js';

export type AuthSessionOptions = {
  readonly identity: IdentityClient;
  readonly records: SessionRecordStore;
  readonly policy: OfflinePolicy;
  readonly openBrowser: (url: string) => Promise<void>;
  readonly logger: Logger;
  /** An interactive sign-in nobody finishes within this is abandoned (msal waits forever). */
  readonly signInTimeoutMs?: number;
  /** How often the offline policy is re-checked, and a locked device retries silently. */
  readonly checkIntervalMs?: number;
  /** The online history is written at most this often (each write is a keychain call). */
  readonly historyWriteIntervalMs?: number;
  readonly now?: () => number;
};

export type AuthSession = {
  /** Reads the keychain and settles the first state; never waits for the network. */
  readonly start: () => Promise<void>;
  readonly stop: () => Promise<void>;
  readonly snapshot: () => AuthSnapshot;
  readonly onChange: (listener: (snapshot: AuthSnapshot) => void) => () => void;
  /** Starts an interactive sign-in (a no-op while one is waiting); progress shows in snapshots. */
  readonly signIn: () => void;
  readonly cancelSignIn: () => void;
  readonly signOut: () => Promise<void>;
  /** The broker accepted this device's token: the sign-in is proven current. */
  readonly noteServerContact: () => void;
  readonly tokenProvider: TokenProvider;
};

export function createAuthSession(options: AuthSessionOptions): AuthSession {
  const { identity, records, policy } = options;
  const logger = options.logger.child('auth');
  // Read at each call, so a clock replaced after start-up (a test's) is seen.
  const now = options.now ?? ((): number => Date.now());
  const signInTimeoutMs = options.signInTimeoutMs ?? 10 * 60_000;
  const checkIntervalMs = options.checkIntervalMs ?? 60_000;
  const historyWriteIntervalMs = options.historyWriteIntervalMs ?? 5 * 60_000;

  let snapshot: AuthSnapshot = SIGNED_OUT;
  let history: OnlineHistory | null = null;
  let historyWrittenAt = 0;
  /** Bumped on sign-in and sign-out: results of work started before belong to someone else. */
  let epoch = 0;
  let pending: { controller: AbortController; timer: NodeJS.Timeout } | null = null;
  let checkTimer: NodeJS.Timeout | null = null;
  let unlocking: Promise<void> | null = null;
  let writes: Promise<void> = Promise.resolve();
  const listeners = new Set<(snapshot: AuthSnapshot) => void>();

  const update = (patch: Partial<AuthSnapshot>): void => {
    snapshot = { ...snapshot, ...patch };
    for (const listener of listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        logger.error('auth listener failed', errorFields(error));
      }
    }
  };

  // Serialised: an older record must never overwrite a newer one in the keychain.
  const persist = (account: AuthAccount, next: OnlineHistory): Promise<void> => {
    const at = epoch;
    historyWrittenAt = now();
    writes = writes
      .then(() => (at === epoch ? records.write({ account, history: next }) : undefined))
      .catch((error: unknown) =>
        logger.warn('could not record the online time in the keychain', errorFields(error)),
      );
    return writes;
  };

  const cameOnline = (): void => {
    const account = snapshot.account;
    if (!account || snapshot.state === 'signed-out') return;
    history = wentOnline(history, now());
    const until = history.lastOnlineAt + policy.maxOfflineMs;
    if (snapshot.state === 'locked') {
      logger.info('sign-in renewed; the reader is unlocked');
      update({ state: 'signed-in', lockReason: null, offlineAccessUntil: until });
      void persist(account, history);
      return;
    }
    const stale = now() - historyWrittenAt >= historyWriteIntervalMs;
    if (stale) {
      update({ offlineAccessUntil: until });
      void persist(account, history);
    }
  };

  const lock = (reason: LockReason): void => {
    logger.info('the reader is locked until this device reconnects', { reason });
    update({ state: 'locked', lockReason: reason, offlineAccessUntil: null });
  };

  /** A locked device unlocks only on a token fresh from the provider. */
  const tryUnlock = (): Promise<void> => {
    const account = snapshot.account;
    if (snapshot.state !== 'locked' || !account) return Promise.resolve();
    const at = epoch;
    unlocking ??= identity
      .acquireSilent(account, { forceRefresh: true })
      .then((grant) => {
        if (at !== epoch || snapshot.state !== 'locked' || grant.fromCache) return;
        cameOnline();
      })
      .catch((error: unknown) => {
        if (at !== epoch) return;
        if (error instanceof AuthError && error.failure === 'interaction-required') {
          update({ signInNeeded: true });
        }
        logger.debug('still locked: silent renewal did not succeed', errorFields(error));
      })
      .finally(() => {
        unlocking = null;
      });
    return unlocking;
  };

  const check = (): void => {
    const account = snapshot.account;
    if (!account || !history) return;
    if (snapshot.state === 'locked') {
      void tryUnlock();
      return;
    }
    const verdict = offlineAccess(history, now(), policy);
    if (!verdict.allowed) {
      lock(verdict.reason);
      void tryUnlock();
      return;
    }
    const seen = sawTime(history, now());
    if (seen !== history) {
      history = seen;
      if (now() - historyWrittenAt >= historyWriteIntervalMs) void persist(account, history);
    }
  };

  const adopt = async (grant: TokenGrant): Promise<void> => {
    const previous = snapshot.account;
    if (previous && previous.userId !== grant.account.userId) {
      // One person per device at a time: the previous account's tokens go.
      logger.info('a different person signed in; forgetting the previous account');
      await identity
        .forget(previous)
        .catch((error: unknown) =>
          logger.warn('could not remove the previous account', errorFields(error)),
        );
    }
    epoch += 1;
    history = wentOnline(previous?.userId === grant.account.userId ? history : null, now());
    await records.write({ account: grant.account, history });
    historyWrittenAt = now();
    tokens.adopt(grant, epoch);
    logger.info('signed in', { user: grant.account.userId });
    update({
      state: 'signed-in',
      account: grant.account,
      signInNeeded: false,
      lockReason: null,
      offlineAccessUntil: history.lastOnlineAt + policy.maxOfflineMs,
      attempt: IDLE,
    });
  };

  const endAttempt = (): void => {
    if (!pending) return;
    clearTimeout(pending.timer);
    pending = null;
  };

  const signIn = (): void => {
    if (pending) return;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new AuthError('timed-out', 'sign-in timed out')),
      signInTimeoutMs,
    );
    pending = { controller, timer };
    const attemptEpoch = epoch;
    update({ attempt: { phase: 'waiting', url: null } });
    logger.info('interactive sign-in started');

    const loginHint = snapshot.account?.username;
    identity
      .signInInteractive({
        signal: controller.signal,
        ...(loginHint ? { loginHint } : {}),
        // Nobody signed in on this device (first use, or after a sign-out): the provider asks
        // for credentials even if the browser is still signed in to it. The same person coming
        // back (renewal refused, offline period over) gets the provider's usual policy.
        freshLogin: snapshot.account === null,
        openBrowser: async (url) => {
          // shell.openExternal hands the URL to the OS: only ever an https page.
          if (!isHttpsUrl(url)) throw new AuthError('provider-error', 'sign-in URL is not https');
          if (controller.signal.aborted) return;
          update({ attempt: { phase: 'waiting', url } });
          await options.openBrowser(url);
        },
      })
      .then(async (grant) => {
        if (controller.signal.aborted || attemptEpoch !== epoch) return;
        await adopt(grant);
      })
      .catch((error: unknown) => {
        if (attemptEpoch !== epoch && !(error instanceof KeychainError)) return;
        const ending = signInEnding(controller.signal.aborted ? controller.signal.reason : error);
        if (ending.cancelled) {
          logger.info('interactive sign-in cancelled');
          update({ attempt: IDLE });
          return;
        }
        const { failure } = ending;
        logger.warn('interactive sign-in failed', { failure, ...errorFields(error) });
        update({ attempt: failedAttempt(failure) });
      })
      .finally(() => {
        if (pending?.controller === controller) endAttempt();
      });
  };

  const cancelSignIn = (): void => {
    if (!pending) {
      if (snapshot.attempt.phase === 'failed') update({ attempt: IDLE });
      return;
    }
    pending.controller.abort(new AuthError('cancelled', 'sign-in cancelled'));
    endAttempt();
    update({ attempt: IDLE });
  };

  const tokens = createAccessTokenHolder({
    now,
    usable: () =>
      snapshot.state === 'signed-in' && snapshot.account && !snapshot.signInNeeded
        ? { account: snapshot.account, epoch }
        : null,
    acquireSilent: async (account, refresh) => {
      const at = epoch;
      try {
        const grant = await identity.acquireSilent(account, { forceRefresh: refresh });
        return at === epoch ? grant : null;
      } catch (error) {
        if (at !== epoch) return null;
        if (error instanceof AuthError && error.failure === 'interaction-required') {
          logger.info('silent renewal refused: the reader must sign in again', errorFields(error));
          update({ signInNeeded: true });
          return null;
        }
        throw error;
      }
    },
    cameOnline,
  });

  return {
    start: async () => {
      let record;
      try {
        record = await records.read();
      } catch (error) {
        logger.error('the keychain could not be read; nobody can be signed in', errorFields(error));
        update({ attempt: failedAttempt('keychain-unavailable') });
        record = null;
      }
      if (record) {
        history = record.history;
        historyWrittenAt = now();
        const verdict = offlineAccess(history, now(), policy);
        update(restoredSnapshot(record.account, verdict));
        logger.info('known account on this device', {
          user: record.account.userId,
          state: snapshot.state,
        });
        if (snapshot.state === 'locked') void tryUnlock();
        else check();
      }
      checkTimer = setInterval(check, checkIntervalMs);
      checkTimer.unref();
    },

    stop: async () => {
      if (checkTimer) clearInterval(checkTimer);
      checkTimer = null;
      if (pending) pending.controller.abort(new AuthError('cancelled', 'app stopping'));
      endAttempt();
      const account = snapshot.account;
      if (account && history && snapshot.state !== 'signed-out') {
        history = sawTime(history, now());
        await persist(account, history);
      }
      await writes;
      await unlocking;
    },

    snapshot: () => snapshot,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    signIn,
    cancelSignIn,

    signOut: async () => {
      if (pending) pending.controller.abort(new AuthError('cancelled', 'signing out'));
      endAttempt();
      const account = snapshot.account;
      epoch += 1;
      history = null;
      update(SIGNED_OUT);
      await writes;
      if (account) await identity.forget(account);
      await records.clear();
      forgetSecrets();
      logger.info('signed out');
    },

    noteServerContact: () => {
      if (snapshot.state === 'signed-in' && !snapshot.signInNeeded) cameOnline();
    },

    tokenProvider: tokens.tokenProvider,
  };
}
