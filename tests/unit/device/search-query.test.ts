// The search field's language and what it becomes: parsing, the FTS5 expression (nothing typed
// reaches FTS5 as syntax), filters as a test of a briefing's metadata, snippets as text, typo distance, highlight
// boundaries, and a briefing's HTML read into words.
import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../../src/main/search/briefing-text.js';
import {
  buildMatch,
  cleanText,
  editDistance,
  filterTest,
  readTest,
  typoAllowance,
  type FilterFacts,
} from '../../../src/main/search/fts-query.js';
import { isEmptyQuery, parseQuery } from '../../../src/main/search/query-parser.js';
import { findMatches, searchWords } from '../../../src/shared/search.js';

describe('parsing what a person types', () => {
  it('takes words, treats the word being typed as a beginning, and a finished one as whole', () => {
    expect(parseQuery('critical min').terms).toEqual([
      { text: 'critical', prefix: false },
      { text: 'min', prefix: true },
    ]);
    expect(parseQuery('critical min ').terms).toEqual([
      { text: 'critical', prefix: false },
      { text: 'min', prefix: false },
    ]);
    // One letter matches too much to be a beginning.
    expect(parseQuery('critical m').terms).toEqual([
      { text: 'critical', prefix: false },
      { text: 'm', prefix: false },
    ]);
  });

  it('ignores case and accents, and splits on anything that is not a letter or digit', () => {
    expect(parseQuery('Résumé, TRADE-deal ').terms.map((t) => t.text)).toEqual([
      'resume',
      'trade',
      'deal',
    ]);
  });

  it('reads quoted phrases, an unclosed quote to the end', () => {
    const query = parseQuery('"critical minerals" supply "rare earth');
    expect(query.phrases).toEqual([
      ['critical', 'minerals'],
      ['rare', 'earth'],
    ]);
    expect(query.terms).toEqual([{ text: 'supply', prefix: false }]);
    // A quoted single word is a whole word, never a beginning.
    expect(parseQuery('"lith"').terms).toEqual([{ text: 'lith', prefix: false }]);
  });

  it('reads filters a person would write, in any case and spelling of the marking', () => {
    const query = parseQuery(
      'priority:URGENT class:"top secret" classification:official-sensitive is:unread from:jordan has:pdf after:2025-01-01 before:2025-02-28 budget',
    );
    expect(query.filters).toEqual({
      priorities: ['urgent'],
      classifications: ['TOP SECRET', 'OFFICIAL: Sensitive'],
      unread: true,
      from: 'jordan',
      hasAttachments: true,
      after: '2025-01-01',
      before: '2025-02-28',
    });
    expect(query.terms).toEqual([{ text: 'budget', prefix: true }]);
    expect(query.problems).toEqual([]);
  });

  it('says what it did not understand, with what would be, and keeps the rest', () => {
    const query = parseQuery('priority:soon after:2025-13-01 is:starred has:cake budget ');
    expect(query.problems).toEqual([
      '"soon" is not a priority: use routine, priority, urgent.',
      'after:2025-13-01 needs a date written as YYYY-MM-DD, as in after:2025-03-31.',
      'is:starred is not understood: use is:unread or is:read.',
      'has:cake is not understood: use has:attachment or has:notes.',
    ]);
    expect(query.terms).toEqual([{ text: 'budget', prefix: false }]);
    expect(query.filters).toEqual({});
  });

  it('searches a word with a colon that names no filter as words', () => {
    expect(parseQuery('note:12 ').terms.map((t) => t.text)).toEqual(['note', '12']);
  });

  it('merges filters chosen in the reader with those typed', () => {
    const query = parseQuery('priority:urgent', { classifications: ['SECRET'], unread: true });
    expect(query.filters).toEqual({
      classifications: ['SECRET'],
      unread: true,
      priorities: ['urgent'],
    });
  });

  it('knows an empty query from a filter-only one', () => {
    expect(isEmptyQuery(parseQuery('  '))).toBe(true);
    expect(isEmptyQuery(parseQuery('"" ,'))).toBe(true);
    expect(isEmptyQuery(parseQuery('is:unread'))).toBe(false);
    expect(isEmptyQuery(parseQuery('', { classifications: [] }))).toBe(true);
  });
});

describe('the FTS5 expression', () => {
  it('quotes every word, so FTS5 operators typed in the field are only words', () => {
    const query = parseQuery('NEAR(a b) title:secret OR "x" AND NOT* ');
    expect(buildMatch(query)).toBe(
      '"near" AND "a" AND "b" AND "title" AND "secret" AND "or" AND "x" AND "and" AND "not"',
    );
  });

  it('marks the word being typed as a prefix, ORs typo readings in, and names sender words', () => {
    const query = parseQuery('minrals "supply chain" from:jordan lee cob');
    expect(buildMatch(query, new Map([['minrals', ['minerals']]]))).toBe(
      '("minrals" OR "minerals") AND "lee" AND "cob"* AND "supply chain" AND {sender} : ("jordan"*)',
    );
  });

  it('has no expression for filters alone', () => {
    expect(buildMatch(parseQuery('is:unread priority:urgent'))).toBeNull();
  });

  describe('filters, as a test of what the index knows of a briefing', () => {
    const briefing = (changes: Partial<FilterFacts> = {}): FilterFacts => ({
      rowid: 1,
      id: 'briefing:A',
      classification: 'SECRET',
      priority: 'urgent',
      approvedTime: Date.parse('2025-01-31T23:59:59.999Z'),
      sourceVersion: 2,
      attachmentCount: 1,
      ...changes,
    });
    const noNotes = { hasNotes: () => false };

    it('is no test at all without filters', () => {
      expect(filterTest({}, noNotes)).toBeNull();
      // Unread needs the reader's read versions; without them it is not applied.
      expect(filterTest({ unread: true }, noNotes)).toBeNull();
    });

    it('keeps any of the markings and priorities chosen, and only those', () => {
      const test = filterTest(
        { classifications: ['SECRET', 'TOP SECRET'], priorities: ['urgent'] },
        noNotes,
      )!;
      expect(test(briefing())).toBe(true);
      expect(test(briefing({ classification: 'TOP SECRET' }))).toBe(true);
      expect(test(briefing({ classification: 'OFFICIAL' }))).toBe(false);
      expect(test(briefing({ priority: 'routine' }))).toBe(false);
    });

    it('takes dates as whole UTC days, both ends included', () => {
      const test = filterTest({ after: '2025-01-01', before: '2025-01-31' }, noNotes)!;
      const at = (iso: string) => test(briefing({ approvedTime: Date.parse(iso) }));
      expect(at('2025-01-01T00:00:00.000Z')).toBe(true);
      expect(at('2024-12-31T23:59:59.999Z')).toBe(false);
      expect(at('2025-01-31T23:59:59.999Z')).toBe(true);
      expect(at('2025-02-01T00:00:00.000Z')).toBe(false);
      // A date that could not be read is outside every range, with either end alone too.
      expect(test(briefing({ approvedTime: -Infinity }))).toBe(false);
      for (const range of [{ after: '2025-01-01' }, { before: '2025-01-31' }]) {
        expect(filterTest(range, noNotes)!(briefing({ approvedTime: -Infinity }))).toBe(false);
      }
    });

    it('tells attachments and the reader’s notes apart, both ways', () => {
      const withNotes = { hasNotes: (id: string) => id === 'briefing:A' };
      expect(filterTest({ hasAttachments: true }, noNotes)!(briefing())).toBe(true);
      expect(filterTest({ hasAttachments: false }, noNotes)!(briefing())).toBe(false);
      expect(filterTest({ hasNotes: true }, withNotes)!(briefing())).toBe(true);
      expect(filterTest({ hasNotes: true }, withNotes)!(briefing({ id: 'briefing:B' }))).toBe(
        false,
      );
      expect(filterTest({ hasNotes: false }, withNotes)!(briefing({ id: 'briefing:B' }))).toBe(
        true,
      );
    });

    it('counts a briefing read when this version or a later one was read', () => {
      const readVersions = new Map([
        ['briefing:A', 2],
        ['briefing:B', 1],
      ]);
      const isRead = readTest(readVersions);
      const unread = filterTest({ unread: true }, { ...noNotes, isRead })!;
      const read = filterTest({ unread: false }, { ...noNotes, isRead })!;
      expect(unread(briefing())).toBe(false);
      expect(read(briefing())).toBe(true);
      // Version 2 came after the reader read version 1: unread again.
      expect(unread(briefing({ id: 'briefing:B' }))).toBe(true);
      expect(unread(briefing({ id: 'briefing:C' }))).toBe(true);
      expect(read(briefing({ id: 'briefing:C', sourceVersion: 3 }))).toBe(false);
    });
  });
});

describe('snippets and highlight boundaries', () => {
  it('takes control characters out of indexed text', () => {
    expect(cleanText(`a\u0002b\u0003c\u0000d\n`)).toBe('a b c d\n');
  });

  it('matches whole words, beginnings only where asked, across case, accents and punctuation', () => {
    const text = 'Minerals, mineral-rich; the MINERAL résumé (resumed).';
    const ranges = (highlight: Parameters<typeof findMatches>[1]) =>
      findMatches(text, highlight).map((r) => text.slice(r.start, r.end));
    expect(ranges({ terms: [{ text: 'mineral', prefix: false }], phrases: [] })).toEqual([
      'mineral',
      'MINERAL',
    ]);
    expect(ranges({ terms: [{ text: 'mineral', prefix: true }], phrases: [] })).toEqual([
      'Minerals',
      'mineral',
      'MINERAL',
    ]);
    expect(ranges({ terms: [{ text: 'resume', prefix: false }], phrases: [] })).toEqual(['résumé']);
    expect(ranges({ terms: [], phrases: [['mineral', 'rich']] })).toEqual(['mineral-rich']);
  });

  it('joins overlapping matches into one range, phrases across line breaks', () => {
    const text = 'critical\n  minerals critical';
    const highlight = {
      terms: [{ text: 'critical', prefix: false }],
      phrases: [['critical', 'minerals']],
    };
    expect(findMatches(text, highlight)).toEqual([
      { start: 0, end: 19 },
      { start: 20, end: 28 },
    ]);
  });

  it('marks plain ASCII text exactly as the Unicode rules do (its fast path)', () => {
    // A seeded generator: the same 2,000 texts every run.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed % n;
    };
    const words = ['ore', 'Ore', 'ores', 'mine', 'MINER', 'miners', 'a', 'b2', '2b', 'x'];
    const between = [' ', ', ', '-', '.\n', '  ', "'", '_'];
    const lower = (w: string) => w.toLowerCase();
    for (let round = 0; round < 2_000; round++) {
      const length = next(12);
      let text = next(2) ? between[next(between.length)]! : '';
      for (let i = 0; i < length; i++) {
        text += words[next(words.length)]! + between[next(between.length)]!;
      }
      const highlight = {
        terms: Array.from({ length: next(3) }, () => ({
          text: lower(words[next(words.length)]!).slice(0, 1 + next(5)),
          prefix: next(2) === 1,
        })),
        phrases: Array.from({ length: next(2) }, () =>
          Array.from({ length: 1 + next(3) }, () => lower(words[next(words.length)]!)),
        ),
      };
      // A dash that is not ASCII sends the same text down the Unicode path; it is no word.
      expect(findMatches(text, highlight)).toEqual(findMatches(`${text}\u2014`, highlight));
    }
  });

  it('counts offsets in the original text when a word has combining marks', () => {
    const text = 'cafe\u0301 and cafe';
    expect(searchWords(text)).toEqual(['cafe', 'and', 'cafe']);
    expect(findMatches(text, { terms: [{ text: 'and', prefix: false }], phrases: [] })).toEqual([
      { start: 6, end: 9 },
    ]);
  });
});

describe('typo tolerance', () => {
  it('counts insertions, deletions, substitutions and swapped neighbours as one edit each', () => {
    expect(editDistance('minerals', 'minerals', 2)).toBe(0);
    expect(editDistance('minrals', 'minerals', 1)).toBe(1);
    expect(editDistance('mienrals', 'minerals', 1)).toBe(1);
    expect(editDistance('mineralz', 'minerals', 1)).toBe(1);
    expect(editDistance('mnrls', 'minerals', 2)).toBe(3);
  });

  it('allows none below four letters, one to seven, two from eight', () => {
    expect(typoAllowance('tax')).toBe(0);
    expect(typoAllowance('trade')).toBe(1);
    expect(typoAllowance('minerals')).toBe(2);
  });
});

describe("a briefing's HTML as words", () => {
  it('decodes entities, separates blocks, keeps image text and drops scripts', () => {
    expect(
      htmlToText(
        '<h2>Key&nbsp;points</h2><p>Lithium &amp; cobalt</p><ul><li>One</li><li>Two</li></ul><img alt="Export chart"><script>alert(1)</script>',
      ),
    ).toBe('Key points\nLithium & cobalt\nOne\nTwo\nExport chart');
  });
});
