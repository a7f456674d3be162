// The summary index's file: what the reader's list shows, kept beside the store's databases and
// sealed with the store's data key like every value in them (store-cipher.ts, its own label in
// the authenticated data, so neither database's values can be passed off as it).
//
// It is a cache of the store, never the only copy of anything: a missing, damaged or foreign
// file reads as null and the briefings service rebuilds the index from the databases. So a
// failed authentication here is logged, not raised as the store's integrity failure.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../files/durable-write.js';
import type { Logger } from '../logging/logger.js';
import { openValue, sealValue } from './store-cipher.js';

const FILE_NAME = 'summaries.sealed';
/** Bound into the authenticated data: the value is this file's and no other's. */
const VALUE_KEY = Buffer.from('summary-index', 'utf8');

export type SummaryIndexFile = {
  /** The parsed content, or null when there is none or it cannot be used. */
  readonly read: () => Promise<unknown>;
  readonly write: (value: unknown) => Promise<void>;
  readonly remove: () => Promise<void>;
};

export function summaryIndexPath(folder: string): string {
  return join(folder, FILE_NAME);
}

export function createSummaryIndexFile(options: {
  readonly folder: string;
  readonly dataKey: Buffer;
  readonly logger: Logger;
}): SummaryIndexFile {
  const path = summaryIndexPath(options.folder);
  return {
    read: async () => {
      let sealed: Buffer;
      try {
        sealed = await readFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
      try {
        return JSON.parse(
          openValue(options.dataKey, 'summaries', VALUE_KEY, sealed).toString('utf8'),
        ) as unknown;
      } catch {
        options.logger.warn('the summary index cannot be read; it is rebuilt from the store');
        return null;
      }
    },
    write: (value) =>
      writeFileDurably(
        path,
        new Uint8Array(
          sealValue(options.dataKey, 'summaries', VALUE_KEY, Buffer.from(JSON.stringify(value))),
        ),
      ),
    remove: () => rm(path, { force: true }),
  };
}
