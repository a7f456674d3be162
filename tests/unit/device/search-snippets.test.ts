// Snippets and titles of a page of results (src/main/search/snippets.ts): the window around the
// first match, its marks, and what it leaves out.
import { describe, expect, it } from 'vitest';
import { SNIPPET_WORDS, markAll, snippet } from '../../../src/main/search/snippets.js';
import type { SearchHighlight, SnippetSegment } from '../../../src/shared/search.js';

const terms = (...words: string[]): SearchHighlight => ({
  terms: words.map((w) =>
    w.endsWith('*') ? { text: w.slice(0, -1), prefix: true } : { text: w, prefix: false },
  ),
  phrases: [],
});
const text = (segments: readonly SnippetSegment[] | null): string =>
  (segments ?? []).map((s) => (s.match ? `[${s.text}]` : s.text)).join('');
const words = (n: number, from = 1): string =>
  Array.from({ length: n }, (_, i) => `w${from + i}`).join(' ');

describe('search snippets', () => {
  it('shows a short text whole, its matches marked', () => {
    expect(text(snippet('Lithium and cobalt, then lithium again.', terms('lithium')))).toBe(
      '[Lithium] and cobalt, then [lithium] again.',
    );
  });

  it('opens a long text a few words before its first match, with ellipses where text is left out', () => {
    const body = `${words(100)} cobalt ${words(100, 200)}`;
    const shown = text(snippet(body, terms('cobalt')));
    expect(shown).toBe(`…w98 w99 w100 [cobalt] ${words(10, 200)}…`);
    expect(shown.replace(/…/g, '').split(' ')).toHaveLength(SNIPPET_WORDS);
  });

  it('fills the window from before the match when the text ends soon after it', () => {
    const shown = text(snippet(`${words(40)} cobalt w41`, terms('cobalt')));
    expect(shown).toBe(`…${words(12, 29)} [cobalt] w41`);
  });

  it('matches whole words, word beginnings, accents and case as the reader marks them', () => {
    expect(snippet('cobalts only', terms('cobalt'))).toBeNull();
    expect(text(snippet('Cobalts only', terms('cobal*')))).toBe('[Cobalts] only');
    expect(text(snippet('Le Résumé du ministre', terms('resume')))).toBe('Le [Résumé] du ministre');
    expect(text(snippet(`${words(30)} RÉSUMÉ`, terms('resume')))).toBe(
      `…${words(13, 18)} [RÉSUMÉ]`,
    );
  });

  it('marks a phrase only where its words stand together', () => {
    const highlight: SearchHighlight = { terms: [], phrases: [['critical', 'minerals']] };
    expect(text(snippet('critical path; critical minerals', highlight))).toBe(
      'critical path; [critical minerals]',
    );
  });

  it('answers null without a match, or the first words when asked for them', () => {
    expect(snippet(words(30), terms('cobalt'))).toBeNull();
    expect(text(snippet(words(30), terms('cobalt'), { orStart: true }))).toBe(`${words(14)}…`);
  });

  it('makes the same snippet of plain ASCII text as the Unicode rules do (its fast path)', () => {
    let seed = 11;
    const next = (n: number) => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed % n;
    };
    const vocabulary = ['ore', 'Ore', 'ores', 'mine', 'MINER', 'a', 'b2', 'tin', 'x'];
    const between = [' ', ', ', '-', '.\n', '  '];
    // A dash that is not ASCII before the text sends it down the Unicode path; it is no word,
    // and shows only where the snippet starts at the text's start.
    const unicode = (source: string, highlight: SearchHighlight, orStart: boolean) => {
      const shown = text(snippet(`\u2014${source}`, highlight, { orStart }));
      return shown.startsWith('\u2014') ? shown.slice(1) : shown;
    };
    for (let round = 0; round < 2_000; round++) {
      let source = '';
      for (let i = 0, n = next(60); i < n; i++) {
        source += vocabulary[next(vocabulary.length)]! + between[next(between.length)]!;
      }
      const highlight: SearchHighlight = {
        terms: Array.from({ length: 1 + next(2) }, () => {
          const word = vocabulary[next(vocabulary.length)]!.toLowerCase();
          return { text: word.slice(0, 1 + next(4)), prefix: next(2) === 1 };
        }),
        phrases: next(3) === 0 ? [['ore', 'mine']] : [],
      };
      const orStart = next(2) === 1;
      expect(text(snippet(source, highlight, { orStart }))).toBe(
        unicode(source, highlight, orStart),
      );
    }
  });

  it('never starts inside a word, and keeps markup as text', () => {
    // The match is found by position and the words before it read from a little earlier,
    // which here falls inside a word: that word is left out, not shown cut.
    const long = `${'abcde '.repeat(100)}cobalt`;
    expect(text(snippet(long, terms('cobalt')))).toBe(`…${'abcde '.repeat(13)}[cobalt]`);
    expect(text(markAll('<script>Cobalt</script>', terms('cobalt')))).toBe(
      '<script>[Cobalt]</script>',
    );
  });
});
