import { describe, expect, it } from 'vitest';
import { createLoginThrottle } from '../../../server/src/demo/idp/login-throttle.js';

function setup() {
  let t = 0;
  const throttle = createLoginThrottle({
    maxFailures: 3,
    windowMs: 60_000,
    lockMs: 120_000,
    now: () => t,
  });
  return { throttle, advance: (ms: number) => (t += ms) };
}

describe('login throttle of the development provider', () => {
  it('locks a username after repeated failures, for the lock time, whatever the spelling', () => {
    const { throttle, advance } = setup();
    for (let i = 0; i < 3; i += 1) {
      expect(throttle.lockedFor('alex.morgan')).toBeNull();
      throttle.failed('alex.morgan');
    }
    expect(throttle.lockedFor('alex.morgan')).toBe(120);
    expect(throttle.lockedFor(' Alex.Morgan ')).toBe(120);
    expect(throttle.lockedFor('sam.taylor')).toBeNull();
    advance(119_000);
    expect(throttle.lockedFor('alex.morgan')).toBe(1);
    advance(1_000);
    expect(throttle.lockedFor('alex.morgan')).toBeNull();
  });

  it('forgets failures older than the window, and all of them after a success', () => {
    const { throttle, advance } = setup();
    throttle.failed('alex.morgan');
    throttle.failed('alex.morgan');
    advance(61_000);
    throttle.failed('alex.morgan');
    expect(throttle.lockedFor('alex.morgan')).toBeNull();
    throttle.failed('alex.morgan');
    throttle.succeeded('alex.morgan');
    throttle.failed('alex.morgan');
    expect(throttle.lockedFor('alex.morgan')).toBeNull();
  });
});
