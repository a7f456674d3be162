// Takes the rows that name design (or any reserved, `_…`) documents out of a `_changes` or
// `_all_docs` answer while it streams. Devices never need design documents, and a replication
// client that is told of one asks for it (CouchDB's replicator fails on the refusal).
//
// The answer is scanned byte by byte: structural JSON characters are ASCII, and UTF-8 never
// reuses those bytes inside a multi-byte character. Each row is held until it is complete,
// parsed, and then passed on or dropped; everything between rows (the envelope, `last_seq`,
// heartbeat newlines of a live feed) passes at once, so a long poll still sees its heartbeats.
// Sequences are left as CouchDB wrote them: a dropped row moves nobody's checkpoint backwards,
// and `last_seq` still covers it.
//
// Two shapes: 'envelope' is `{"results"|"rows":[row,…],…}` (normal and longpoll feeds,
// `_all_docs`): rows are the objects inside an array that is a member of the top-level object,
// and the commas between them are rewritten. 'lines' is a continuous feed: one row object per
// line, heartbeats as empty lines, the final `{"last_seq":…}` a row without an id.

import { Transform } from 'node:stream';

export type RowFilterShape = 'envelope' | 'lines';

export type RowFilter = {
  /** Bytes ready to send for this chunk (possibly none: a row is still incomplete). */
  write(chunk: Uint8Array): Buffer;
  /** What is left at the end of the answer. */
  end(): Buffer;
};

export class RowFilterError extends Error {
  readonly code = 'broker-row-filter';
}

/** Largest single row held while it streams (a row with `include_docs` carries the document). */
export const ROW_MAX_BYTES = 16 * 1024 * 1024;

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Does this complete row name a reserved document? Unparseable rows are an error, not a pass. */
export function namesReservedDoc(row: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row);
  } catch {
    throw new RowFilterError('a row of the answer is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const { id, key } = parsed as { id?: unknown; key?: unknown };
  return (
    (typeof id === 'string' && id.startsWith('_')) ||
    (typeof key === 'string' && key.startsWith('_'))
  );
}

export function createRowFilter(shape: RowFilterShape): RowFilter {
  /** Open containers, outermost first. */
  const stack: number[] = [];
  let inString = false;
  let escaped = false;
  /** The row being held, and the stack depth it started at; null between rows. */
  let row: Uint8Array[] | null = null;
  let rowBytes = 0;
  let rowDepth = 0;
  /** Whether a row was already sent in the current rows array (the next one needs a comma). */
  let sentInArray = false;

  const atRowLevel = (): boolean =>
    shape === 'lines'
      ? stack.length === 0
      : stack.length === 2 && stack[0] === OPEN_OBJECT && stack[1] === OPEN_ARRAY;

  return {
    write(chunk) {
      const out: Uint8Array[] = [];
      let passFrom = 0; // start of the bytes of this chunk that pass unchanged
      const flushPass = (to: number) => {
        if (to > passFrom) out.push(chunk.subarray(passFrom, to));
      };
      for (let i = 0; i < chunk.length; i += 1) {
        const byte = chunk[i] as number;
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) inString = false;
          continue;
        }
        if (row === null && atRowLevel()) {
          if (WHITESPACE.has(byte)) continue;
          if (byte === COMMA && shape === 'envelope') {
            flushPass(i);
            passFrom = i + 1; // commas between rows are written anew
            continue;
          }
          if (byte === CLOSE_ARRAY && shape === 'envelope') {
            sentInArray = false;
            stack.pop();
            continue;
          }
          if (byte !== OPEN_OBJECT)
            throw new RowFilterError('a row of the answer is not an object');
          flushPass(i);
          row = [];
          rowBytes = 0;
          rowDepth = stack.length;
          passFrom = i;
          stack.push(byte);
          continue;
        }
        if (byte === QUOTE) inString = true;
        else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) stack.push(byte);
        else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
          stack.pop();
          if (row !== null && stack.length === rowDepth) {
            row.push(chunk.subarray(passFrom, i + 1));
            const bytes = Buffer.concat(row);
            row = null;
            if (!namesReservedDoc(bytes.toString('utf8'))) {
              if (sentInArray && shape === 'envelope') out.push(Uint8Array.of(COMMA));
              out.push(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
              sentInArray = true;
            }
            passFrom = i + 1;
          }
        }
      }
      if (row !== null) {
        const held = chunk.subarray(passFrom);
        rowBytes += held.byteLength;
        if (rowBytes > ROW_MAX_BYTES) throw new RowFilterError('a row of the answer is too large');
        row.push(held);
      } else flushPass(chunk.length);
      return Buffer.concat(out);
    },
    // An answer cut short upstream ends here cut short too: the client sees what it would have.
    end: () => Buffer.alloc(0),
  };
}

/** The filter as a stream stage between the upstream answer and the device. */
export function createRowFilterStream(shape: RowFilterShape): Transform {
  const filter = createRowFilter(shape);
  return new Transform({
    transform(chunk: Uint8Array, _encoding, callback) {
      try {
        const out = filter.write(chunk);
        if (out.byteLength > 0) this.push(out);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      callback(null, filter.end());
    },
  });
}
