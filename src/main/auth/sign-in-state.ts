// The states the reader sees of a sign-in, and the decisions over them that need no provider,
// keychain or clock: what a failed interactive sign-in means for the person, and what a device
// shows when it starts with a known account. Pure, so every case is unit-tested
// (tests/unit/device/sign-in-state.test.ts); auth-session.ts is the shell that acts on them.
import type { LockReason, OfflineVerdict } from './offline-policy.js';
import type { AuthAccount, AuthFailure } from './types.js';
import { AuthError } from './types.js';
import { KeychainError } from '../secrets/types.js';

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

export const IDLE: SignInAttempt = { phase: 'idle' };

/** Nobody signed in, nothing under way: where a device starts and where sign-out returns. */
export const SIGNED_OUT: AuthSnapshot = {
  state: 'signed-out',
  account: null,
  signInNeeded: false,
  offlineAccessUntil: null,
  lockReason: null,
  attempt: IDLE,
};

/** A failed attempt, with the words the reader shows for it. */
export function failedAttempt(failure: SignInFailure): SignInAttempt {
  return { phase: 'failed', failure, message: FAILURE_MESSAGES[failure] };
}

/**
 * How an interactive sign-in that did not end in a grant ended: cancelled (nothing to show), or
 * failed with the failure the person is told about. `reason` is the abort reason when the
 * attempt was aborted (cancel, timeout), otherwise what the provider or the keychain threw.
 */
export function signInEnding(
  reason: unknown,
): { readonly cancelled: true } | { readonly cancelled: false; readonly failure: SignInFailure } {
  if (reason instanceof KeychainError) return { cancelled: false, failure: 'keychain-unavailable' };
  if (reason instanceof AuthError) {
    const { failure } = reason;
    return failure === 'cancelled' ? { cancelled: true } : { cancelled: false, failure };
  }
  return { cancelled: false, failure: 'provider-error' };
}

/** The sign-in page may be handed to the OS to open only when it is an https page. */
export function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * What a device shows at start for the account its keychain remembers: signed in while the
 * offline period allows it, locked (with why) otherwise.
 */
export function restoredSnapshot(
  account: AuthAccount,
  verdict: OfflineVerdict,
): Pick<AuthSnapshot, 'state' | 'account' | 'offlineAccessUntil' | 'lockReason'> {
  return verdict.allowed
    ? { state: 'signed-in', account, offlineAccessUntil: verdict.until, lockReason: null }
    : { state: 'locked', account, offlineAccessUntil: null, lockReason: verdict.reason };
}
