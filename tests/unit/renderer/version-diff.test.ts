import { describe, expect, it } from 'vitest';
import type { DiffPiece } from '../../../src/renderer/src/annotations/version-diff.js';
import { diffVersions } from '../../../src/renderer/src/annotations/version-diff.js';

const EARLIER =
  'We will present the fiscal outlook to Cabinet on Monday. The Treasurer asks for a decision.';
const CURRENT =
  'We will present the revenue forecast to Cabinet on Tuesday. The Treasurer asks for a decision.';

const fiscal = {
  quote: { exact: 'fiscal outlook', prefix: 'present the ', suffix: ' to Cabinet' },
  position: { start: 20, end: 34 },
};

/** The pieces as one string: [-removed-], {+added+}, <<marked>>, … for a gap. */
function render(pieces: readonly DiffPiece[]): string {
  return pieces
    .map((piece) => {
      if (piece.kind === 'gap') return '…';
      const text = piece.marked ? `<<${piece.text}>>` : piece.text;
      return piece.kind === 'removed'
        ? `[-${text}-]`
        : piece.kind === 'added'
          ? `{+${text}+}`
          : text;
    })
    .join('');
}

describe('what changed between a marked version and the current one', () => {
  it('shows removed and added words, and the mark on the earlier text', () => {
    const diff = diffVersions(EARLIER, CURRENT, [fiscal]);
    expect(diff.status).toBe('changed');
    if (diff.status !== 'changed') return;
    expect(diff.changes).toBe(2);
    expect(diff.marksShown).toBe(1);
    expect(render(diff.pieces)).toBe(
      'We will present the [-<<fiscal outlook>>-]{+revenue forecast+} to Cabinet on [-Monday-]{+Tuesday+}. The Treasurer asks for a decision.',
    );
  });

  it('a mark on unchanged text is shown on it, split exactly at its edges', () => {
    const diff = diffVersions(EARLIER, CURRENT, [
      { quote: { exact: 'Treasurer asks', prefix: 'The ', suffix: ' for' }, position: null },
    ]);
    if (diff.status !== 'changed') throw new Error(diff.status);
    expect(render(diff.pieces)).toContain('The <<Treasurer asks>> for a decision.');
  });

  it('a mark whose quote is not in the earlier text is left out, not misplaced', () => {
    const diff = diffVersions(EARLIER, CURRENT, [
      { quote: { exact: 'nowhere to be found', prefix: '', suffix: '' }, position: null },
    ]);
    if (diff.status !== 'changed') throw new Error(diff.status);
    expect(diff.marksShown).toBe(0);
    expect(diff.pieces.some((piece) => piece.marked)).toBe(false);
  });

  it('shortens long unchanged stretches to the words beside each change, keeping marks whole', () => {
    const filler = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const earlier = `${filler}. The fiscal outlook is weak. ${filler}. Closing line.`;
    const current = `${filler}. The fiscal outlook is strong. ${filler}. Closing line.`;
    const diff = diffVersions(earlier, current, [], { context: 30 });
    if (diff.status !== 'changed') throw new Error(diff.status);
    const shown = render(diff.pieces);
    expect(shown.startsWith('…')).toBe(true);
    expect(shown.endsWith('…')).toBe(true);
    expect(shown).toContain('The fiscal outlook is [-weak-]{+strong+}. word0');
    expect(shown.length).toBeLessThan(150);
    // Cut at spaces: no word is shown in part.
    for (const piece of diff.pieces) {
      if (piece.kind === 'same') expect(piece.text).not.toMatch(/^ord|^rd\d/);
    }

    const marked = diffVersions(earlier, current, [
      { quote: { exact: filler.slice(0, 50), prefix: '', suffix: '' }, position: null },
    ]);
    if (marked.status !== 'changed') throw new Error(marked.status);
    expect(render(marked.pieces).startsWith(`<<${filler.slice(0, 50)}>>`)).toBe(true);
  });

  it('says when nothing changed, and when the texts are too different to compare in time', () => {
    expect(diffVersions(EARLIER, EARLIER, [fiscal])).toEqual({ status: 'same' });
    const words = (seed: number) =>
      Array.from({ length: 40_000 }, (_, i) => `w${(i * seed) % 9973}`).join(' ');
    expect(diffVersions(words(7), words(13), [], { timeoutMs: 5 })).toEqual({
      status: 'too-different',
    });
  });
});
