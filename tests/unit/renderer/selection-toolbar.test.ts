// Where the selection toolbar goes (placeToolbar), and what a selection is (readSelection) on a
// real DOM (jsdom: it has no layout, so a fixed box stands in for the range's; Chromium places
// it for real in tests/e2e/reader/annotations.spec.ts).
import { JSDOM } from 'jsdom';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  placeToolbar,
  readSelection as readWithLayout,
} from '../../../src/renderer/src/annotations/selection.js';

/** jsdom lays nothing out: every range measures as this box. */
const FIXED_BOX = { top: 120, left: 40, width: 80, height: 18 };
const readSelection = (body: HTMLElement, page: HTMLElement, selection: Selection | null) =>
  readWithLayout(body, page, selection, () => FIXED_BOX);

let window: JSDOM['window'];
beforeAll(() => {
  window = new JSDOM('<!doctype html><body></body>').window;
  Object.assign(globalThis, { document: window.document, NodeFilter: window.NodeFilter });
});

describe('placing the selection toolbar', () => {
  const toolbar = { width: 200, height: 36 };

  it('sits above the selection, centred on it', () => {
    expect(placeToolbar({ top: 300, left: 100, width: 120, height: 20 }, toolbar, 800)).toEqual({
      side: 'above',
      top: 300 - 8 - 36,
      left: 100 + 60 - 100,
    });
  });

  it('goes below a selection too near the top of the page', () => {
    expect(placeToolbar({ top: 20, left: 300, width: 100, height: 20 }, toolbar, 800)).toEqual({
      side: 'below',
      top: 20 + 20 + 8,
      left: 250,
    });
  });

  it('never runs past either edge of the page', () => {
    expect(placeToolbar({ top: 300, left: 0, width: 10, height: 20 }, toolbar, 800).left).toBe(8);
    expect(placeToolbar({ top: 300, left: 790, width: 10, height: 20 }, toolbar, 800).left).toBe(
      800 - 200 - 8,
    );
  });
});

describe('reading the selection', () => {
  const setUp = () => {
    document.body.innerHTML =
      '<div id="page"><p id="summary">The summary.</p><div id="body"><p>Alpha beta gamma.</p></div></div>';
    const page = document.getElementById('page') as HTMLElement;
    const body = document.getElementById('body') as HTMLElement;
    const select = (node: Node, from: number, to: number) => {
      const range = document.createRange();
      range.setStart(node, from);
      range.setEnd(node, to);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      return selection;
    };
    return { page, body, select };
  };

  it('a selection in the body has its text offsets', () => {
    const { page, body, select } = setUp();
    const text = body.querySelector('p')?.firstChild as Text;
    expect(readSelection(body, page, select(text, 6, 10))).toMatchObject({
      where: 'body',
      start: 6,
      end: 10,
    });
  });

  it('a selection in the summary is elsewhere: the selectors cover only the body', () => {
    const { page, body, select } = setUp();
    const summary = document.getElementById('summary')?.firstChild as Text;
    expect(readSelection(body, page, select(summary, 4, 11))).toMatchObject({
      where: 'elsewhere',
    });
  });

  it('nothing selected, or only spaces, is no selection', () => {
    const { page, body, select } = setUp();
    const text = body.querySelector('p')?.firstChild as Text;
    expect(readSelection(body, page, select(text, 5, 5))).toBeNull();
    expect(readSelection(body, page, select(text, 5, 6))).toBeNull();
  });
});
