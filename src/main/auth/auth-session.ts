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
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import { forgetSecrets } from '../logging/redact.js';
import type { TokenProvider } from '../sync/types.js';
import { KeychainError } from '../secrets/types.js';
import type { LockReason, OfflinePolicy, OnlineHistory } from './offline-policy.js';
import { offlineAccess, sawTime, wentOnline } from './offline-policy.js';
import type { SessionRecordStore } from './session-record.js';
import type { AuthAccount, AuthFailure, IdentityClient, TokenGrant } from './types.js';
import { AuthError } from './types.js';

export type SignInFailure = Exclude<AuthFailure, 'cancelled'> | 'keychain-unavailable';

export type SignInAttempt =
  | { readonly phase: 'idle' }
  /** The browser is (being) opened on `url`; null until the loopback listener is up. */
  | { readonly phase: 'waiting'; readonly url: string | null }
  | { readonly phase: 'failed'; readonly failure: SignInFailure; readonly message: string };

export type AuthState = 'signed-out' | 'signed-in' | 'locked';

export type AuthSnapshot = {
  readonly state: AuthState;
  /** The signed-in (or locked) account; null when signed out. */
  readonly account: AuthAccount | null;
  /** Signed in, but the provider refused to renew: only an interactive sign-in helps. */
  readonly signInNeeded: boolean;
  /** Epoch ms until which the briefings open without reconnecting. */
  readonly offlineAccessUntil: number | null;
  readonly lockReason: LockReason | null;
  readonly attempt: SignInAttempt;
};

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

const FAILURE_MESSAGES: Record<SignInFailure, string> = {
  'timed-out':
    'The sign-in was not finished in time, so Attaché stopped waiting. Select Sign in to try again.',
  unreachable:
    'Attaché could not reach the sign-in service. Check your network connection, then try again.',
  declined:
    'You cancelled the sign-in on the sign-in page, so nothing changed. Select Sign in when you want to continue.',
  'provider-error':
    'The sign-in service did not complete the sign-in. Try again; if it keeps happening, contact IT support.',
  'interaction-required':
    'The sign-in service asked for the sign-in to be repeated. Select Sign in to try again.',
  'keychain-unavailable':
    'Attaché could not keep your sign-in in the system keychain. Make sure the keychain is unlocked, then try again.',
};

const IDLE: SignInAttempt = { phase: 'idle' };

/** msal renews 5 minutes before expiry; the in-memory copy lapses just before that. */
const MEMORY_MARGIN_MS = 6 * 60_000;

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

export function createAuthSession(options: AuthSessionOptions): AuthSession {
  const { identity, records, policy } = options;
  const logger = options.logger.child('auth');
  // Read at each call, so a clock replaced after start-up (a test's) is seen.
  const now = options.now ?? ((): number => Date.now());
  const signInTimeoutMs = options.signInTimeoutMs ?? 10 * 60_000;
  const checkIntervalMs = options.checkIntervalMs ?? 60_000;
  const historyWriteIntervalMs = options.historyWriteIntervalMs ?? 5 * 60_000;

  let snapshot: AuthSnapshot = {
    state: 'signed-out',
    account: null,
    signInNeeded: false,
    offlineAccessUntil: null,
    lockReason: null,
    attempt: IDLE,
  };
  let history: OnlineHistory | null = null;
  let historyWrittenAt = 0;
  let forceRefresh = false;
  /** Bumped on sign-in and sign-out: results of work started before belong to someone else. */
  let epoch = 0;
  let pending: { controller: AbortController; timer: NodeJS.Timeout } | null = null;
  let checkTimer: NodeJS.Timeout | null = null;
  let unlocking: Promise<void> | null = null;
  let writes: Promise<void> = Promise.resolve();
  const listeners = new Set<(snapshot: AuthSnapshot) => void>();

  // Sync asks for the token before every replication request. msal would answer from its
  // cache, but reading that cache is a keychain round trip (D-Bus here, several calls for a
  // cache in parts), so the current token is also held in memory until shortly before msal's
  // own renewal point (5 minutes before expiry), and concurrent asks share one acquisition.
  let held: { token: string; until: number; epoch: number } | null = null;
  let inFlight: { refresh: boolean; promise: Promise<string | null> } | null = null;

  const hold = (grant: TokenGrant, at: number): void => {
    held = { token: grant.accessToken, until: grant.expiresAt - MEMORY_MARGIN_MS, epoch: at };
  };

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
    forceRefresh = false;
    hold(grant, epoch);
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
        const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
        if (reason instanceof AuthError && reason.failure === 'cancelled') {
          logger.info('interactive sign-in cancelled');
          update({ attempt: IDLE });
          return;
        }
        const failure: SignInFailure =
          reason instanceof KeychainError
            ? 'keychain-unavailable'
            : reason instanceof AuthError && reason.failure !== 'cancelled'
              ? reason.failure
              : 'provider-error';
        logger.warn('interactive sign-in failed', { failure, ...errorFields(error) });
        update({ attempt: { phase: 'failed', failure, message: FAILURE_MESSAGES[failure] } });
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

  const acquire = async (account: AuthAccount, refresh: boolean): Promise<string | null> => {
    const at = epoch;
    try {
      const grant = await identity.acquireSilent(account, { forceRefresh: refresh });
      if (at !== epoch) return null;
      if (refresh) forceRefresh = false;
      if (!grant.fromCache) cameOnline();
      hold(grant, at);
      return grant.accessToken;
    } catch (error) {
      if (at !== epoch) return null;
      if (error instanceof AuthError && error.failure === 'interaction-required') {
        logger.info('silent renewal refused: the reader must sign in again', errorFields(error));
        update({ signInNeeded: true });
        return null;
      }
      throw error;
    }
  };

  const tokenProvider: TokenProvider = {
    getAccessToken: () => {
      const account = snapshot.account;
      if (snapshot.state !== 'signed-in' || !account || snapshot.signInNeeded) {
        return Promise.resolve(null);
      }
      const refresh = forceRefresh;
      if (!refresh && held?.epoch === epoch && now() < held.until) {
        return Promise.resolve(held.token);
      }
      if (inFlight && (inFlight.refresh || !refresh)) return inFlight.promise;
      // A forced renewal asked for while a plain one is under way waits for it, then asks again:
      // two renewals at once would both present the same refresh token, and a provider that
      // rotates refresh tokens takes the second for a replay and ends the sign-in.
      if (inFlight) {
        return inFlight.promise.then(
          () => tokenProvider.getAccessToken(),
          () => tokenProvider.getAccessToken(),
        );
      }
      const promise = acquire(account, refresh).finally(() => {
        if (inFlight?.promise === promise) inFlight = null;
      });
      inFlight = { refresh, promise };
      return promise;
    },
    invalidate: () => {
      forceRefresh = true;
      held = null;
    },
  };

  return {
    start: async () => {
      let record;
      try {
        record = await records.read();
      } catch (error) {
        logger.error('the keychain could not be read; nobody can be signed in', errorFields(error));
        update({
          attempt: {
            phase: 'failed',
            failure: 'keychain-unavailable',
            message: FAILURE_MESSAGES['keychain-unavailable'],
          },
        });
        record = null;
      }
      if (record) {
        history = record.history;
        historyWrittenAt = now();
        const verdict = offlineAccess(history, now(), policy);
        update(
          verdict.allowed
            ? {
                state: 'signed-in',
                account: record.account,
                offlineAccessUntil: verdict.until,
                lockReason: null,
              }
            : {
                state: 'locked',
                account: record.account,
                offlineAccessUntil: null,
                lockReason: verdict.reason,
              },
        );
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
      update({
        state: 'signed-out',
        account: null,
        signInNeeded: false,
        offlineAccessUntil: null,
        lockReason: null,
        attempt: IDLE,
      });
      await writes;
      if (account) await identity.forget(account);
      await records.clear();
      forgetSecrets();
      logger.info('signed out');
    },

    noteServerContact: () => {
      if (snapshot.state === 'signed-in' && !snapshot.signInNeeded) cameOnline();
    },

    tokenProvider,
  };
}
