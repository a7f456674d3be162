// Verifies an audit trail file: every line parses, every hash matches its record, sequence
// numbers run 1, 2, 3, ... and every record names the previous record's hash. With a head
// (`<file>.head.json`, or one taken from the logs) it also proves nothing was cut from the end.
import fs from 'node:fs';
import readline from 'node:readline';
import { recordHash } from './chain.js';
import type { AuditHead, AuditRecord } from './types.js';
import { GENESIS_HASH } from './types.js';

export type VerifyProblem = { readonly line: number; readonly problem: string };

export type VerifyResult = {
  readonly ok: boolean;
  readonly records: number;
  readonly head: { readonly seq: number; readonly hash: string } | null;
  /** The first problems found (at most `maxProblems`). */
  readonly problems: readonly VerifyProblem[];
};

const short = (hash: unknown) =>
  typeof hash === 'string' ? `${hash.slice(0, 12)}…` : String(hash);

export async function verifyAuditFile(
  file: string,
  options: { head?: Pick<AuditHead, 'seq' | 'hash'> | null; maxProblems?: number } = {},
): Promise<VerifyResult> {
  const maxProblems = options.maxProblems ?? 20;
  const problems: VerifyProblem[] = [];
  const report = (line: number, problem: string) => {
    if (problems.length < maxProblems) problems.push({ line, problem });
  };
  const lines = readline.createInterface({
    input: fs.createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  let lineNo = 0;
  let records = 0;
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let last: { seq: number; hash: string } | null = null;
  let anchorSeen = false;

  for await (const text of lines) {
    lineNo += 1;
    if (text.trim() === '') {
      report(lineNo, 'empty line');
      continue;
    }
    let record: AuditRecord;
    try {
      record = JSON.parse(text) as AuditRecord;
    } catch {
      report(lineNo, 'not JSON (edited, or a torn write)');
      continue;
    }
    records += 1;
    if (typeof record.seq !== 'number' || typeof record.hash !== 'string') {
      report(lineNo, 'not an audit record (no seq or hash)');
      continue;
    }
    const computed = recordHash(record);
    if (computed !== record.hash) {
      report(lineNo, `seq ${record.seq}: content does not match its hash (the record was edited)`);
    }
    if (record.seq !== expectedSeq) {
      const what =
        record.seq > expectedSeq
          ? `records ${expectedSeq}..${record.seq - 1} are missing (deleted)`
          : `it comes after seq ${expectedSeq - 1} (records reordered, duplicated or inserted)`;
      report(lineNo, `seq ${record.seq}: expected seq ${expectedSeq}; ${what}`);
    }
    if (record.prev !== prevHash) {
      report(
        lineNo,
        `seq ${record.seq}: links to ${short(record.prev)} but the record before it hashes to ${short(prevHash)} (a record before it was changed, removed or moved)`,
      );
    }
    if (options.head && record.seq === options.head.seq) {
      anchorSeen = true;
      if (record.hash !== options.head.hash) {
        report(
          lineNo,
          `seq ${record.seq}: differs from the recorded head ${short(options.head.hash)}`,
        );
      }
    }
    expectedSeq = record.seq + 1;
    prevHash = record.hash;
    last = { seq: record.seq, hash: record.hash };
  }
  if (options.head && !anchorSeen) {
    report(
      lineNo,
      `the trail ends at seq ${last?.seq ?? 0} but its recorded head is seq ${options.head.seq}: records were removed from the end`,
    );
  }
  return { ok: problems.length === 0, records, head: last, problems };
}

/** Reads a head file (`<trail>.head.json`); null when absent. */
export function readHeadFile(file: string): AuditHead | null {
  if (!fs.existsSync(file)) return null;
  const head = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<AuditHead>;
  if (typeof head.seq !== 'number' || typeof head.hash !== 'string') {
    throw new Error(`${file} is not an audit head (expected {seq, hash}).`);
  }
  return { seq: head.seq, hash: head.hash, at: String(head.at ?? '') };
}
