import { describe, expect, it } from 'vitest';
import { describeStartupProblem } from '../../../src/renderer/src/app/startup-problem.js';
import { BRIDGE_ERROR_CODES } from '../../../src/renderer/src/bridge/http-bridge.js';

describe('what the reader says when it cannot start', () => {
  it('calls a refused launch key an out-of-date address, which reloading cannot fix', () => {
    expect(describeStartupProblem({ code: BRIDGE_ERROR_CODES.keyRejected, message: 'm' })).toEqual({
      title: 'This reader address is out of date',
      canRetry: false,
    });
  });

  it('points a tab opened without the key to the address in the terminal', () => {
    expect(describeStartupProblem({ code: BRIDGE_ERROR_CODES.keyMissing, message: 'm' })).toEqual({
      title: 'Open Attaché from the address in its terminal',
      canRetry: false,
    });
  });

  it('offers to try again when the cause may pass', () => {
    expect(
      describeStartupProblem({ code: BRIDGE_ERROR_CODES.unreachable, message: 'm' }).canRetry,
    ).toBe(true);
    expect(describeStartupProblem({ code: 'storage-failed', message: 'm' })).toEqual({
      title: 'Attaché could not start',
      canRetry: true,
    });
  });
});
