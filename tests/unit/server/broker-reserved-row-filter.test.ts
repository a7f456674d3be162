import { describe, expect, it } from 'vitest';
import {
  ROW_MAX_BYTES,
  RowFilterError,
  createRowFilter,
} from '../../../server/src/broker/reserved-row-filter.js';
import type { RowFilterShape } from '../../../server/src/broker/reserved-row-filter.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Runs `text` through a filter in chunks of `size` bytes; returns the output and its pieces. */
function run(shape: RowFilterShape, text: string, size = Infinity) {
  const filter = createRowFilter(shape);
  const input = bytes(text);
  const pieces: string[] = [];
  const step = Number.isFinite(size) ? size : input.length || 1;
  for (let i = 0; i < input.length; i += step) {
    pieces.push(filter.write(input.subarray(i, i + step)).toString('utf8'));
  }
  pieces.push(filter.end().toString('utf8'));
  return { text: pieces.join(''), pieces };
}

const design = '{"seq":1,"id":"_design/attache","changes":[{"rev":"1-a"}]}';
const a = '{"seq":2,"id":"briefing:A","changes":[{"rev":"1-b"}]}';
const b = '{"seq":3,"id":"briefing:B","changes":[{"rev":"1-c"}],"doc":{"t":"}]{[\\"\\\\"}}';

describe('reserved row filter: design documents leave the answer, nothing else changes', () => {
  it.each([
    ['first', [design, a, b], [a, b]],
    ['in the middle', [a, design, b], [a, b]],
    ['last', [a, b, design], [a, b]],
    ['alone', [design], []],
    ['twice', [design, a, design, design, b], [a, b]],
  ])('a normal feed with the design row %s', (_, rows, kept) => {
    // CouchDB writes one row per line; express-pouchdb writes the whole answer on one line.
    for (const separator of [',\r\n', ',']) {
      const answer = `{"results":[\r\n${rows.join(separator)}\r\n],\r\n"last_seq":9,"pending":0}\n`;
      for (const size of [Infinity, 1, 7, 64]) {
        const out = run('envelope', answer, size).text;
        expect(JSON.parse(out)).toEqual({
          results: kept.map((row) => JSON.parse(row) as unknown),
          last_seq: 9,
          pending: 0,
        });
        expect(out).not.toContain('_design');
      }
    }
  });

  it('filters _all_docs rows, by id and by key (a row for a missing key has no id)', () => {
    const answer =
      '{"total_rows":3,"offset":0,"rows":[\r\n' +
      '{"id":"_design/attache","key":"_design/attache","value":{"rev":"1-a"}},\r\n' +
      '{"key":"_design/other","error":"not_found"},\r\n' +
      '{"id":"briefing:A","key":"briefing:A","value":{"rev":"1-b"}}\r\n]}';
    expect(JSON.parse(run('envelope', answer, 5).text)).toEqual({
      total_rows: 3,
      offset: 0,
      rows: [{ id: 'briefing:A', key: 'briefing:A', value: { rev: '1-b' } }],
    });
  });

  it('passes a long poll’s heartbeats at once, before any row arrives', () => {
    const filter = createRowFilter('envelope');
    expect(filter.write(bytes('{"results":[\n')).toString()).toBe('{"results":[\n');
    expect(filter.write(bytes('\n')).toString()).toBe('\n');
    expect(filter.write(bytes(design.slice(0, 10))).toString()).toBe('');
    expect(filter.write(bytes(`${design.slice(10)}\n`)).toString()).toBe('\n');
    expect(filter.write(bytes('],\n"last_seq":1}\n')).toString()).toBe('],\n"last_seq":1}\n');
  });

  it('filters a continuous feed line by line and keeps its heartbeats and last_seq', () => {
    const feed = `${design}\n${a}\n\n\n${design}\n${b}\n{"last_seq":4}\n`;
    for (const size of [Infinity, 1, 13]) {
      const out = run('lines', feed, size).text;
      expect(out).toBe(`\n${a}\n\n\n\n${b}\n{"last_seq":4}\n`);
    }
  });

  it('keeps multi-byte text intact across chunk boundaries', () => {
    const row = '{"seq":2,"id":"briefing:Ä","doc":{"title":"Überblick — 東京 🚀"}}';
    const answer = `{"results":[${design},${row}],"last_seq":2}`;
    expect(JSON.parse(run('envelope', answer, 1).text)).toEqual({
      results: [JSON.parse(row) as unknown],
      last_seq: 2,
    });
  });

  it('does not take an escaped reserved id for a plain one, nor miss one', () => {
    const escaped = '{"seq":1,"id":"\\u005fdesign/attache","changes":[]}';
    expect(JSON.parse(run('envelope', `{"results":[${escaped},${a}]}`, 3).text)).toEqual({
      results: [JSON.parse(a) as unknown],
    });
  });

  it('fails closed on a row that is not an object, not JSON, or too large', () => {
    expect(() => run('envelope', '{"results":["x"]}')).toThrow(RowFilterError);
    expect(() => run('lines', 'garbage\n')).toThrow(RowFilterError);
    expect(() => run('envelope', '{"results":[{"id":}]}')).toThrow(RowFilterError);
    const filter = createRowFilter('lines');
    filter.write(bytes('{"id":"a","doc":"'));
    expect(() => filter.write(new Uint8Array(ROW_MAX_BYTES).fill(0x61))).toThrow(/too large/);
  });

  it('passes an answer of another shape untouched (an error object, a top-level array)', () => {
    expect(run('envelope', '{"error":"not_found","reason":"missing"}', 2).text).toBe(
      '{"error":"not_found","reason":"missing"}',
    );
    expect(run('envelope', '[{"id":"_design/x"}]', 2).text).toBe('[{"id":"_design/x"}]');
  });
});
