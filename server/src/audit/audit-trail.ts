// The append-only, hash-chained audit trail: one JSON line per record in a file owned by this
// instance (0600 in a 0700 folder). Each record carries the previous record's hash, so a verifier
// (verify.ts, `npm run audit:verify`) finds any edit, deletion, insertion or reordering.
//
// Records are written synchronously, in call order, so the chain on disk is the chain in memory
// and a crash can cut at most the line being written. On start the trail continues the existing
// chain; a torn last line (killed mid-write) is moved to a side file and the recovery itself is
// recorded, so nothing is silently dropped. The head (latest seq and hash) is written beside the
// trail every few seconds and logged: truncating the end of the trail then shows too, and the
// logged heads leave the machine with the logs.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../config/secret-files.js';
import { createLogger, describeError } from '../observability/logger.js';
import { chainRecord } from './chain.js';
import type { AuditEntry, AuditHead, AuditLog, AuditRecord } from './types.js';
import { GENESIS_HASH } from './types.js';

const log = createLogger('audit');

const TAIL_READ_BYTES = 1024 * 1024;
const HEAD_EVERY_MS = 5_000;

export type AuditTrail = AuditLog & {
  readonly file: string;
  /** The latest record's position and hash. */
  head(): AuditHead;
};

export function headFileOf(file: string): string {
  return `${file}.head.json`;
}

type Tail = {
  seq: number;
  hash: string;
  size: number;
  torn: Uint8Array | null;
  corrupt: string | null;
};

/** Finds the last complete record of an existing trail, and a torn line after it, if any. */
function readTail(fd: number): Tail {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return { seq: 0, hash: GENESIS_HASH, size: 0, torn: null, corrupt: null };
  const start = Math.max(0, size - TAIL_READ_BYTES);
  const buf = new Uint8Array(size - start);
  fs.readSync(fd, buf, 0, buf.length, start);
  const lastNewline = buf.lastIndexOf(0x0a);
  const torn = lastNewline === buf.length - 1 ? null : buf.subarray(lastNewline + 1);
  const completeEnd = start + lastNewline + 1; // file offset just after the last '\n'
  if (lastNewline < 0) {
    // Not one complete line: the whole file is a torn first record.
    return { seq: 0, hash: GENESIS_HASH, size: 0, torn: buf, corrupt: null };
  }
  const before = buf.subarray(0, lastNewline);
  const line = new TextDecoder().decode(before.subarray(before.lastIndexOf(0x0a) + 1));
  try {
    const record = JSON.parse(line) as Partial<AuditRecord>;
    if (typeof record.seq !== 'number' || typeof record.hash !== 'string') {
      throw new Error('no seq/hash');
    }
    return { seq: record.seq, hash: record.hash, size: completeEnd, torn, corrupt: null };
  } catch (error) {
    return {
      seq: 0,
      hash: GENESIS_HASH,
      size: completeEnd,
      torn,
      corrupt: `last record unreadable (${describeError(error).message})`,
    };
  }
}

export function createAuditTrail(deps: {
  file: string;
  instance: string;
  now?: () => Date;
}): AuditTrail {
  const now = deps.now ?? (() => new Date());
  fs.mkdirSync(path.dirname(deps.file), { recursive: true, mode: 0o700 });
  const stamp = () => now().toISOString().replace(/[:.]/g, '-');
  const pending: AuditEntry[] = [];

  let fd = fs.openSync(deps.file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  let tail = readTail(fd);
  if (tail.corrupt) {
    // The chain cannot be continued from an unreadable record. Keep the file as evidence and
    // start a new one whose first record says so.
    const aside = `${deps.file}.corrupt-${stamp()}`;
    fs.closeSync(fd);
    fs.renameSync(deps.file, aside);
    log.error({ file: deps.file, movedTo: aside, problem: tail.corrupt }, 'audit trail unreadable');
    pending.push({
      action: 'audit.restarted',
      user: null,
      reason: `The previous trail's ${tail.corrupt}; it was moved to ${path.basename(aside)} unchanged.`,
    });
    fd = fs.openSync(deps.file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    tail = readTail(fd);
  }
  if (tail.torn) {
    const aside = `${deps.file}.torn-${stamp()}`;
    fs.writeFileSync(aside, tail.torn, { mode: 0o600 });
    fs.ftruncateSync(fd, tail.size);
    fs.fsyncSync(fd);
    log.warn({ file: deps.file, bytes: tail.torn.length, movedTo: aside }, 'torn audit record');
    pending.push({
      action: 'audit.recovered',
      user: null,
      reason: `An incomplete last line (${tail.torn.length} bytes, a write cut by a crash) was moved to ${path.basename(aside)}.`,
    });
  }

  let seq = tail.seq;
  let hash = tail.hash;
  let size = tail.size;
  let headAt = now().toISOString();
  let dirty = false;
  let failing = false;
  let closed = false;

  function append(entry: AuditEntry): void {
    const at = now().toISOString();
    const record = chainRecord(entry, { seq: seq + 1, prev: hash, at, instance: deps.instance });
    const line = new TextEncoder().encode(`${JSON.stringify(record)}\n`);
    try {
      let written = 0;
      while (written < line.length) {
        written += fs.writeSync(fd, line, written, line.length - written, size + written);
      }
    } catch (error) {
      // Undo a partial line so the chain on disk stays whole; the caller's entry is retried
      // with the next record.
      try {
        fs.ftruncateSync(fd, size);
      } catch {
        /* nothing more to do */
      }
      throw error;
    }
    size += line.length;
    seq = record.seq;
    hash = record.hash;
    headAt = at;
    dirty = true;
  }

  function flush(): void {
    while (pending.length > 0) {
      try {
        append(pending[0]!);
        pending.shift();
        if (failing) log.info('audit trail writable again');
        failing = false;
      } catch (error) {
        if (!failing) log.error({ err: describeError(error) }, 'audit trail write failed');
        failing = true;
        return;
      }
    }
  }

  function writeHead(): void {
    if (!dirty) return;
    try {
      fs.fsyncSync(fd);
      const head: AuditHead = { seq, hash, at: headAt };
      writeFileAtomic(headFileOf(deps.file), `${JSON.stringify(head)}\n`);
      log.info({ auditHead: head, file: deps.file }, 'audit head');
      dirty = false;
    } catch (error) {
      log.error({ err: describeError(error) }, 'writing the audit head failed');
    }
  }

  flush();
  writeHead();
  const timer = setInterval(() => {
    flush();
    writeHead();
  }, HEAD_EVERY_MS);
  timer.unref();

  return {
    file: deps.file,
    head: () => ({ seq, hash, at: headAt }),
    record(entry) {
      if (closed) {
        log.error({ action: entry.action }, 'audit record after close, not written');
        return;
      }
      pending.push(entry);
      flush();
      if (entry.decision === 'refused') log.info(entry, 'refused');
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      clearInterval(timer);
      flush();
      writeHead();
      fs.closeSync(fd);
      return Promise.resolve();
    },
  };
}
