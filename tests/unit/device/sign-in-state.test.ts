// The pure decisions of the sign-in state machine, case by case: what a sign-in that ended
// without a grant means for the person, and what a device shows at start for a known account.
import { describe, expect, it } from 'vitest';
import {
  failedAttempt,
  isHttpsUrl,
  restoredSnapshot,
  signInEnding,
} from '../../../src/main/auth/sign-in-state.js';
import { AUTH_FAILURES, AuthError } from '../../../src/main/auth/types.js';
import { KeychainError } from '../../../src/main/secrets/types.js';

const ALEX = {
  homeAccountId: 'alex.home',
  userId: 'alex',
  username: 'alex@example.org',
  displayName: 'Alex',
};

describe('how a sign-in without a grant ended', () => {
  it('a cancelled sign-in is no failure: nothing is shown', () => {
    expect(signInEnding(new AuthError('cancelled', 'sign-in cancelled'))).toEqual({
      cancelled: true,
    });
  });

  it('every other provider failure is shown as itself', () => {
    for (const failure of AUTH_FAILURES.filter((f) => f !== 'cancelled')) {
      expect(signInEnding(new AuthError(failure, 'x'))).toEqual({ cancelled: false, failure });
    }
  });

  it('a keychain that cannot keep the sign-in is told as such, not as a provider failure', () => {
    expect(signInEnding(new KeychainError('locked'))).toEqual({
      cancelled: false,
      failure: 'keychain-unavailable',
    });
  });

  it('anything unexpected is a provider error, never a silent cancel', () => {
    for (const reason of [new Error('boom'), 'text', undefined]) {
      expect(signInEnding(reason)).toEqual({ cancelled: false, failure: 'provider-error' });
    }
  });

  it('each failure carries words the reader can act on', () => {
    const attempt = failedAttempt('unreachable');
    expect(attempt).toMatchObject({ phase: 'failed', failure: 'unreachable' });
    expect(attempt.phase === 'failed' && attempt.message).toContain('network connection');
    expect(failedAttempt('keychain-unavailable')).toMatchObject({
      message: expect.stringContaining('keychain is unlocked') as unknown,
    });
  });
});

describe('what a device shows at start for the account it remembers', () => {
  it('signed in until the offline period ends, while the policy allows it', () => {
    expect(restoredSnapshot(ALEX, { allowed: true, until: 1234 })).toEqual({
      state: 'signed-in',
      account: ALEX,
      offlineAccessUntil: 1234,
      lockReason: null,
    });
  });

  it('locked, with the reason and the account kept, when it does not', () => {
    expect(restoredSnapshot(ALEX, { allowed: false, reason: 'clock-moved-back' })).toEqual({
      state: 'locked',
      account: ALEX,
      offlineAccessUntil: null,
      lockReason: 'clock-moved-back',
    });
  });
});

describe('the sign-in page handed to the OS', () => {
  it('is opened only when it is an https page', () => {
    expect(isHttpsUrl('https://login.example.org/authorize?x=1')).toBe(true);
    for (const url of ['http://login.example.org/', 'file:///etc/passwd', 'javascript:1', '']) {
      expect(isHttpsUrl(url)).toBe(false);
    }
  });
});
