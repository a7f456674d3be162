import { describe, expect, it } from 'vitest';
import { anchorQuote, quoteAt } from '../../../src/renderer/src/annotations/anchor.js';

const V1 =
  'The Treasurer will present the fiscal outlook to Cabinet on Monday. ' +
  'Revenue is forecast to fall by two per cent in the coming year, driven by weaker ' +
  'commodity prices. The department recommends that the Minister note the outlook and ' +
  'agree to the consultation plan set out below.';

function markOf(text: string, phrase: string, occurrence = 0) {
  let start = -1;
  for (let i = 0; i <= occurrence; i++) start = text.indexOf(phrase, start + 1);
  if (start < 0) throw new Error(`"${phrase}" not in the text`);
  const end = start + phrase.length;
  return { quote: quoteAt(text, start, end, 32), hint: { start, end } };
}

function anchoredText(text: string, result: ReturnType<typeof anchorQuote>): string | null {
  return result.status === 'anchored' ? text.slice(result.start, result.end) : null;
}

describe('re-anchoring a quote in a new version of the text', () => {
  it('unchanged text: the mark stays where it was, exactly', () => {
    const { quote, hint } = markOf(V1, 'fall by two per cent');
    const result = anchorQuote(V1, quote, hint);
    expect(result).toEqual({ status: 'anchored', start: hint.start, end: hint.end, exact: true });
  });

  it('moved text: the mark follows the passage to its new place', () => {
    const { quote, hint } = markOf(V1, 'weaker commodity prices');
    const moved =
      'Summary for the Minister. Weaker commodity prices are the main risk. ' +
      V1.replace('driven by weaker commodity prices', 'driven by weaker commodity prices');
    const result = anchorQuote(`An added opening paragraph of some length.\n${moved}`, quote, hint);
    expect(result.status).toBe('anchored');
    expect(anchoredText(`An added opening paragraph of some length.\n${moved}`, result)).toBe(
      'weaker commodity prices',
    );
  });

  it('edited nearby: a small change inside the passage keeps the mark, flagged as not exact', () => {
    const { quote, hint } = markOf(V1, 'Revenue is forecast to fall by two per cent');
    const edited = V1.replace('fall by two per cent', 'fall by 2.5 per cent');
    const result = anchorQuote(edited, quote, hint);
    expect(result).toMatchObject({ status: 'anchored', exact: false });
    expect(anchoredText(edited, result)).toContain('Revenue is forecast to fall by 2.5 per');
  });

  it('passage deleted: the mark is detached, not placed somewhere else', () => {
    const { quote, hint } = markOf(V1, 'driven by weaker commodity prices');
    const without = V1.replace(', driven by weaker commodity prices', '');
    expect(anchorQuote(without, quote, hint)).toEqual({ status: 'detached' });
  });

  it('passage rewritten beyond recognition: detached', () => {
    const { quote, hint } = markOf(V1, 'agree to the consultation plan set out below');
    const rewritten = V1.replace(
      'agree to the consultation plan set out below',
      'decide whether public hearings should be held at all',
    );
    expect(anchorQuote(rewritten, quote, hint)).toEqual({ status: 'detached' });
  });

  it('repeated phrase: the context chooses the right occurrence, even after it moved', () => {
    // "the outlook" appears twice; the mark is on the second. The new version puts the second
    // sentence first, so the old position points at the wrong occurrence.
    const text = V1.replace('present the fiscal outlook', 'present the outlook');
    const { quote, hint } = markOf(text, 'the outlook', 1);
    const [first, ...rest] = text.split('. ');
    const moved = `${rest.join('. ')} ${first ?? ''}.`;
    const result = anchorQuote(moved, quote, hint);
    expect(result.status).toBe('anchored');
    if (result.status !== 'anchored') return;
    expect(moved.slice(result.start - 18, result.start)).toBe('the Minister note ');
  });

  it('repeated phrase with the context edited away: the position hint still decides', () => {
    const text = 'note the outlook. x note the outlook. y note the outlook.';
    const { quote, hint } = markOf(text, 'the outlook', 2);
    const result = anchorQuote(text, { ...quote, prefix: '', suffix: '' }, hint);
    expect(result).toMatchObject({ status: 'anchored', start: hint.start });
  });

  it('the same phrase with the same context twice: the one nearer the old position wins, before or after it', () => {
    const passage = 'Cabinet will consider the outlook on Monday. ';
    const filler = 'Other business. '.repeat(20);
    const text = `${passage}${filler}${passage}${filler}`;
    const second = text.indexOf(passage, 1) + 'Cabinet will consider '.length;
    const quote = quoteAt(text, second, second + 'the outlook'.length, 16);
    // The old position a little after the second occurrence, then a little after the first.
    for (const near of [second, 'Cabinet will consider '.length]) {
      const hint = { start: near + 7, end: near + 7 + 'the outlook'.length };
      expect(anchorQuote(text, quote, hint)).toMatchObject({ status: 'anchored', start: near });
    }
  });

  it('in a short text, an occurrence with all its context beats a nearer one missing some', () => {
    const text = 'x the outlook y. '.repeat(3) + 'a the outlook b.';
    const at = text.lastIndexOf('the outlook');
    const quote = quoteAt(text, at, at + 'the outlook'.length, 2);
    // The hint points at the first occurrence, whose context differs.
    const result = anchorQuote(text, quote, { start: 2, end: 2 + 'the outlook'.length });
    expect(result).toMatchObject({ status: 'anchored', start: at, exact: true });
  });
});
