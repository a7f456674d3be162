// How many returns (read receipts, notes) a store holds that the server has not confirmed, told
// without the store's key: when the key is gone, the store can be discarded and downloaded again,
// except for these, which exist nowhere else.
//
// Both inputs are plaintext by design and carry no content: the push watermark (the returns
// database's sequence up to which the server confirmed the push, kept beside the store in
// `returns-pushed.json`), and the returns database's LevelDB keys, whose by-sequence entries are
// numbered writes. Every write after the watermark counts as unsent; a missing watermark counts
// everything, so the count can be too high, never too low.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeFileDurably } from '../files/durable-write.js';

type Callback = (error?: Error | null) => void;
type LevelIterator = {
  next(callback: (error: Error | null, key?: Buffer) => void): void;
  end(callback: Callback): void;
};
type LevelDown = {
  open(options: { createIfMissing: boolean }, callback: Callback): void;
  close(callback: Callback): void;
  iterator(options: {
    gt: Buffer;
    lt: Buffer;
    keys: true;
    values: false;
    keyAsBuffer: true;
  }): LevelIterator;
};

const require = createRequire(import.meta.url);
const leveldown = require('leveldown') as (location: string) => LevelDown;

const WATERMARK_FILE = 'returns-pushed.json';
// PouchDB's leveldb adapter: sublevel keys are U+00FF name U+00FF key; sequences are 16 digits.
const BY_SEQUENCE = Buffer.from('\u00ffby-sequence\u00ff', 'utf8');
const SEQUENCE_DIGITS = /^\d{16}$/;

function call(fn: (callback: Callback) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));
}

function seqNumber(seq: string | number): number | null {
  const n = typeof seq === 'number' ? seq : Number(seq);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Written after the encrypted sync state, durably (files/durable-write.ts): never torn, never ahead. */
export async function writePushWatermark(
  folder: string,
  pushedSeq: string | number,
): Promise<void> {
  const seq = seqNumber(pushedSeq);
  if (seq === null) return;
  const file = join(folder, WATERMARK_FILE);
  await writeFileDurably(file, `${JSON.stringify({ pushedSeq: seq })}\n`);
}

export async function readPushWatermark(folder: string): Promise<number> {
  try {
    const parsed = JSON.parse(await readFile(join(folder, WATERMARK_FILE), 'utf8')) as unknown;
    const seq =
      typeof parsed === 'object' && parsed !== null
        ? (parsed as { pushedSeq?: unknown }).pushedSeq
        : undefined;
    return typeof seq === 'number' ? (seqNumber(seq) ?? 0) : 0;
  } catch {
    return 0;
  }
}

/** The returns database at `location` must be closed. */
export async function countUnsentReturns(location: string, pushedSeq: number): Promise<number> {
  if (!existsSync(join(location, 'CURRENT'))) return 0;
  const db = leveldown(location);
  await call((cb) => db.open({ createIfMissing: false }, cb));
  let unsent = 0;
  try {
    const iterator = db.iterator({
      gt: BY_SEQUENCE,
      lt: Buffer.from('\u00ffby-sequence\u00ff\u00ff', 'utf8'),
      keys: true,
      values: false,
      keyAsBuffer: true,
    });
    try {
      for (;;) {
        const key = await new Promise<Buffer | undefined>((resolve, reject) =>
          iterator.next((error, k) => (error ? reject(error) : resolve(k))),
        );
        if (key === undefined) break;
        const seq = key.subarray(BY_SEQUENCE.length).toString('utf8');
        if (SEQUENCE_DIGITS.test(seq) && Number(seq) > pushedSeq) unsent += 1;
      }
    } finally {
      await call((cb) => iterator.end(cb));
    }
  } finally {
    await call((cb) => db.close(cb));
  }
  return unsent;
}
