// The reader's side of search: where matches are marked in a briefing's text (boundaries of
// words, phrases across inline markup, neighbouring blocks kept apart), the keys that go to the
// field, the filters as chips in words, and the live count's sentence.
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { countWording } from '../../../src/renderer/src/search/count-wording.js';
import { isSearchShortcut } from '../../../src/renderer/src/search/search-keys.js';
import { filterChips } from '../../../src/renderer/src/search/filter-chips.js';
import { matchRanges } from '../../../src/renderer/src/search/text-highlight.js';
import type { SearchHighlight } from '../../../src/shared/search.js';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');

function marked(html: string, highlight: SearchHighlight): string[] {
  const root = window.document.createElement('div');
  root.innerHTML = html;
  return matchRanges(root, highlight).map((range) => range.toString());
}

const term = (text: string, prefix = false) => ({ text, prefix });

describe('marking a search in a briefing’s text', () => {
  it('marks whole words only, whatever their case and accents', () => {
    expect(
      marked('<p>Mineral minerals MINERAL, minéral; antimineral</p>', {
        terms: [term('mineral')],
        phrases: [],
      }),
    ).toEqual(['Mineral', 'MINERAL', 'minéral']);
  });

  it('marks the beginnings of words for the word being typed, the whole word marked', () => {
    expect(
      marked('<p>Critical criteria, uncritical</p>', { terms: [term('crit', true)], phrases: [] }),
    ).toEqual(['Critical', 'criteria']);
  });

  it('marks a phrase split by inline markup as one match, and not its words alone', () => {
    expect(
      marked('<p>The <b>critical</b> minerals and critical points and minerals</p>', {
        terms: [],
        phrases: [['critical', 'minerals']],
      }),
    ).toEqual(['critical minerals']);
  });

  it('never runs the words of neighbouring blocks together', () => {
    expect(
      marked('<p>rare</p><p>earth</p><p>rareearth</p>', {
        terms: [term('rareearth')],
        phrases: [],
      }),
    ).toEqual(['rareearth']);
  });

  it('marks nothing in markup: attribute values and tags are not text', () => {
    expect(
      marked('<p title="lithium"><a href="#lithium">see</a> &lt;b&gt;lithium&lt;/b&gt;</p>', {
        terms: [term('lithium'), term('b')],
        phrases: [],
      }),
    ).toEqual(['b', 'lithium', 'b']);
  });
});

describe('the keys that go to the search field', () => {
  const key = (init: Partial<KeyboardEventInit> & { key: string }, target: unknown = null) =>
    isSearchShortcut({
      ctrlKey: false,
      metaKey: false,
      altKey: false,
      shiftKey: false,
      ...init,
      target: target as EventTarget | null,
    });
  const element = (html: string) => {
    const holder = window.document.createElement('div');
    holder.innerHTML = html;
    return holder.firstElementChild;
  };

  it('Ctrl+K and Cmd+K go there from anywhere, even from a field', () => {
    expect(key({ key: 'k', ctrlKey: true }, element('<input type="text">'))).toBe(true);
    expect(key({ key: 'K', metaKey: true })).toBe(true);
    expect(key({ key: 'k', ctrlKey: true, shiftKey: true })).toBe(false);
    expect(key({ key: 'k' })).toBe(false);
  });

  it('/ goes there unless it would be typed into a field', () => {
    expect(key({ key: '/' }, element('<button>x</button>'))).toBe(true);
    expect(key({ key: '/' }, element('<input type="checkbox">'))).toBe(true);
    expect(key({ key: '/' }, element('<input type="search">'))).toBe(false);
    expect(key({ key: '/' }, element('<input>'))).toBe(false);
    expect(key({ key: '/' }, element('<textarea></textarea>'))).toBe(false);
    expect(key({ key: '/' }, element('<div contenteditable="true"></div>'))).toBe(false);
  });
});

describe('filters shown as chips', () => {
  it('says each filter in words, and each chip removes only its own filter', () => {
    const chips = filterChips({
      classifications: ['PROTECTED'],
      priorities: ['urgent', 'priority'],
      unread: true,
      from: 'Jordan',
      after: '2025-01-01',
      hasAttachments: true,
    });
    expect(chips.map((c) => c.label)).toEqual([
      'PROTECTED',
      'Urgent or Priority',
      'Unread',
      'From Jordan',
      'On or after 2025-01-01',
      'Has attachments',
    ]);
    expect(chips[2]?.without).toEqual({
      classifications: ['PROTECTED'],
      priorities: ['urgent', 'priority'],
      from: 'Jordan',
      after: '2025-01-01',
      hasAttachments: true,
    });
    expect(filterChips({})).toEqual([]);
  });
});

describe('the live count', () => {
  it('says how many match, and how many are still being indexed', () => {
    expect(countWording(0, 0)).toBe('No briefings match');
    expect(countWording(1, 0)).toBe('1 briefing matches');
    expect(countWording(1200, 30)).toBe('1,200 briefings match so far; 30 still being indexed');
    expect(countWording(1000, 0, true)).toBe('More than 1,000 briefings match');
    expect(countWording(1000, 5, true)).toBe(
      'More than 1,000 briefings match so far; 5 still being indexed',
    );
  });
});
