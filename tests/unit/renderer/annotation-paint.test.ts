// Painting marks over a real DOM (jsdom here; Chromium in tests/e2e/reader/annotations.spec.ts).
import { JSDOM } from 'jsdom';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  clearMarks,
  paintMarks,
  selectionOffsets,
} from '../../../src/renderer/src/annotations/paint.js';

beforeAll(() => {
  const dom = new JSDOM('<!doctype html><body></body>');
  Object.assign(globalThis, { document: dom.window.document, NodeFilter: dom.window.NodeFilter });
});

const HTML = '<p>Alpha <b>beta</b> gamma.</p><p>Delta epsilon.</p>';
const mark = (id: string, text: string, phrase: string, colour = 'yellow') => {
  const start = text.indexOf(phrase);
  return { id, start, end: start + phrase.length, colour, title: id };
};

function marked(root: HTMLElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const element of root.querySelectorAll<HTMLElement>('mark.annotation-mark')) {
    const id = element.dataset['annotationId'] ?? '';
    out[id] = (out[id] ?? '') + element.textContent;
  }
  return out;
}

describe('painting marks by text offsets', () => {
  it('wraps passages across elements and overlapping ones, adds no text, and clears back', () => {
    const root = document.createElement('div');
    root.innerHTML = HTML;
    const text = root.textContent;
    paintMarks(root, [
      mark('a', text, 'pha beta gam'),
      mark('b', text, 'gamma.Delta'),
      mark('c', text, 'epsilon'),
    ]);
    expect(marked(root)).toEqual({ a: 'pha beta gam', b: 'gamma.Delta', c: 'epsilon' });
    expect(root.textContent).toBe(text);
    // Only the first piece of a mark takes focus from "Go to passage".
    expect(root.querySelectorAll('mark[data-annotation-id="a"][tabindex="-1"]')).toHaveLength(1);
    clearMarks(root);
    expect(root.innerHTML).toBe(HTML);
  });

  it('the offsets of a selection are those of the text, marks or not', () => {
    const root = document.createElement('div');
    root.innerHTML = HTML;
    document.body.append(root);
    const text = root.textContent;
    paintMarks(root, [mark('a', text, 'beta')]);
    const range = document.createRange();
    const delta = root.querySelectorAll('p')[1]?.firstChild;
    if (!delta) throw new Error('no text');
    range.setStart(delta, 0);
    range.setEnd(delta, 5);
    const selection = { rangeCount: 1, isCollapsed: false, getRangeAt: () => range };
    expect(selectionOffsets(root, selection as unknown as Selection)).toEqual({
      start: text.indexOf('Delta'),
      end: text.indexOf('Delta') + 5,
    });
    root.remove();
  });
});
