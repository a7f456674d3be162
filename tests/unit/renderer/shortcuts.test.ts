import { describe, expect, it } from 'vitest';
import { keyLabel, listKeyLabels, listMoveFor } from '../../../src/renderer/src/ui/shortcuts.js';

describe('briefing list shortcuts', () => {
  it('moves to the next briefing with J or ↓ and to the previous with K or ↑', () => {
    expect(listMoveFor('j')).toBe('next');
    expect(listMoveFor('ArrowDown')).toBe('next');
    expect(listMoveFor('k')).toBe('previous');
    expect(listMoveFor('ArrowUp')).toBe('previous');
  });

  it('takes letters whatever the case, and leaves other keys alone', () => {
    expect(listMoveFor('J')).toBe('next');
    expect(listMoveFor('K')).toBe('previous');
    expect(listMoveFor('x')).toBeNull();
    expect(listMoveFor('Enter')).toBeNull();
  });

  it('prints each move with the keys that perform it, arrow first, letter in capitals', () => {
    expect(listKeyLabels('next')).toEqual(['↓', 'J']);
    expect(listKeyLabels('previous')).toEqual(['↑', 'K']);
    expect(listKeyLabels('page-down')).toEqual(['Page Down']);
    expect(keyLabel('Home')).toBe('Home');
  });

  it('labels every move with keys that map back to that same move', () => {
    for (const move of ['next', 'previous', 'first', 'last', 'page-down', 'page-up'] as const) {
      for (const label of listKeyLabels(move)) {
        const key =
          { '↓': 'ArrowDown', '↑': 'ArrowUp', 'Page Down': 'PageDown', 'Page Up': 'PageUp' }[
            label
          ] ?? label;
        expect(listMoveFor(key), label).toBe(move);
      }
    }
  });
});
