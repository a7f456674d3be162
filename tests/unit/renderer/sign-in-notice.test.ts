import { describe, expect, it } from 'vitest';
import { signInNoticeTone } from '../../../src/renderer/src/session/sign-in-notice.js';

describe('how a sign-in that did not sign in is shown', () => {
  it('says a cancel on the provider’s page calmly: it was the person’s choice', () => {
    expect(signInNoticeTone({ code: 'sign-in-declined', message: 'You cancelled…' })).toBe('calm');
  });

  it.each(['sign-in-provider-error', 'sign-in-unreachable', 'sign-in-timed-out'])(
    'shows %s as a problem',
    (code) => {
      expect(signInNoticeTone({ code, message: 'x' })).toBe('problem');
    },
  );
});
