import { describe, expect, it } from 'vitest';
import { summaryAddsToBody } from '../../../src/renderer/src/reader/summary.js';

describe('summary above the briefing body', () => {
  it('is not shown when empty', () => {
    expect(summaryAddsToBody('', 'Hello')).toBe(false);
    expect(summaryAddsToBody('   ', 'Hello')).toBe(false);
  });

  it('is not shown when the body begins with it (a summary derived from the body)', () => {
    // The fan-out joins blocks with a space; the DOM's text of <p>Hello</p><p>Second</p> has none.
    expect(summaryAddsToBody('Hello Second paragraph.', 'HelloSecond paragraph.')).toBe(false);
    expect(summaryAddsToBody('Hello', 'Hello')).toBe(false);
  });

  it('is not shown when it is the start of the body cut short with an ellipsis', () => {
    expect(
      summaryAddsToBody(
        'Cabinet will consider a strategic reserve…',
        'Cabinet will consider a strategic reserve for rare earths next Tuesday.',
      ),
    ).toBe(false);
  });

  it('is shown when the author wrote something the body does not begin with', () => {
    expect(summaryAddsToBody('One line.', 'Body text here.')).toBe(true);
    expect(summaryAddsToBody('Hello world', 'Hello')).toBe(true);
  });
});
