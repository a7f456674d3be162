// The device's log files: one current file and a bounded number of older ones, each at most
// MAX_LOG_BYTES (main.log, main.1.log ... main.4.log; the oldest goes when a new one starts),
// so a reader running for months never fills the disk and "export diagnostics" has days of
// history, not one `.old` file. electron-log writes them (in Electron and, through its Node
// build, in the browser host); this module gives its file transport the place and the rotation.
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, parse } from 'node:path';
import type Logger from 'electron-log';
import type { LogRecord } from './logger.js';

export const LOG_FILE_NAME = 'main.log';
export const MAX_LOG_BYTES = 1024 * 1024;
/** The current file and the older ones kept beside it. */
export const LOG_FILES_KEPT = 5;

/** main.log -> main.1.log -> ... -> main.<kept-1>.log, the oldest deleted. Synchronous: it runs
 * inside electron-log's synchronous write, before the current file starts again. */
export function rotateLogFiles(current: string, kept: number = LOG_FILES_KEPT): void {
  const { dir, name, ext } = parse(current);
  const numbered = (n: number) => join(dir, `${name}.${n}${ext}`);
  // Files from a larger setting of `kept` go too.
  const pattern = new RegExp(`^${name}\\.(\\d+)${ext.replace('.', '\\.')}$`);
  for (const file of readdirSync(dir)) {
    const match = pattern.exec(file);
    if (match && Number(match[1]) >= kept - 1) rmSync(join(dir, file), { force: true });
  }
  for (let n = kept - 2; n >= 1; n -= 1) {
    try {
      renameSync(numbered(n), numbered(n + 1));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  if (kept > 1) renameSync(current, numbered(1));
  else rmSync(current, { force: true });
}

/** The log files in `dir`, newest first (main.log, main.1.log, ...). */
export async function listLogFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const { name, ext } = parse(LOG_FILE_NAME);
  const order = (file: string): number => {
    if (file === LOG_FILE_NAME) return 0;
    const match = new RegExp(`^${name}\\.(\\d+)${ext.replace('.', '\\.')}$`).exec(file);
    return match ? Number(match[1]) : -1;
  };
  return names
    .filter((file) => order(file) >= 0)
    .sort((a, b) => order(a) - order(b))
    .map((file) => join(dir, file));
}

/** The part of electron-log's file transport (main and Node builds alike) configured here. */
export type FileTransportLike = Pick<
  Logger.FileTransport,
  'maxSize' | 'level' | 'format' | 'resolvePathFn' | 'archiveLogFn'
>;

export function configureFileTransport(
  transport: FileTransportLike,
  options: { readonly dir: string; readonly maxBytes?: number; readonly kept?: number },
): void {
  const kept = options.kept ?? LOG_FILES_KEPT;
  transport.maxSize = options.maxBytes ?? MAX_LOG_BYTES;
  transport.level = 'debug';
  // The record is already one formatted line (formatRecord); electron-log adds nothing.
  transport.format = '{text}';
  transport.resolvePathFn = () => join(options.dir, LOG_FILE_NAME);
  transport.archiveLogFn = (file) => rotateLogFiles(file.path, kept);
}

/** One JSON line per record, as the browser host writes to stderr: easy to search and parse. */
export function formatRecord(record: LogRecord): string {
  return JSON.stringify({
    time: record.time.toISOString(),
    level: record.level,
    scope: record.scope,
    message: record.message,
    ...record.fields,
  });
}
