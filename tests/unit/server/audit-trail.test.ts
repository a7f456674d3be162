// The audit trail is tamper-evident: the verifier accepts a trail as written, and finds an
// edited, deleted, inserted or reordered record, or records cut from the end; a crash that tore
// the last line is recovered without breaking the chain, and the recovery itself is recorded.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditTrail, headFileOf } from '../../../server/src/audit/audit-trail.js';
import { readHeadFile, verifyAuditFile } from '../../../server/src/audit/verify.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

let dir: string;
let file: string;

function writeTrail(count: number): void {
  const trail = createAuditTrail({ file, instance: 'test-1' });
  for (let i = 1; i <= count; i += 1) {
    trail.record({
      action: i % 2 ? 'broker.request' : 'fanout.share',
      user: `user-${i}`,
      decision: i % 3 ? 'allowed' : 'refused',
      reason: `reason ${i}`,
      path: `/db/briefings/doc-${i}`,
    });
  }
  void trail.close();
}

const lines = () => fs.readFileSync(file, 'utf8').trimEnd().split('\n');
const writeLines = (all: string[]) => fs.writeFileSync(file, `${all.join('\n')}\n`);
const problems = async (head = readHeadFile(headFileOf(file))) =>
  (await verifyAuditFile(file, { head })).problems.map((p) => p.problem).join('\n');

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-audit-'));
  file = path.join(dir, 'audit.jsonl');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('audit trail', () => {
  it('chains every record to the one before and verifies as written', async () => {
    writeTrail(10);
    const records = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r['seq'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(records[0]).toMatchObject({ prev: '0'.repeat(64), instance: 'test-1', user: 'user-1' });
    expect(records[1]?.['prev']).toBe(records[0]?.['hash']);
    const result = await verifyAuditFile(file, { head: readHeadFile(headFileOf(file)) });
    expect(result).toMatchObject({ ok: true, records: 10, head: { seq: 10 } });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('continues the chain after a restart', async () => {
    writeTrail(3);
    writeTrail(2);
    expect(lines()).toHaveLength(5);
    expect((await verifyAuditFile(file)).ok).toBe(true);
  });

  it('detects an edited record', async () => {
    writeTrail(6);
    const all = lines();
    all[2] = all[2]!.replace('"decision":"refused"', '"decision":"allowed"');
    writeLines(all);
    expect(await problems()).toContain(
      'seq 3: content does not match its hash (the record was edited)',
    );
  });

  it('detects an edit even when the editor recomputed that record’s hash', async () => {
    writeTrail(6);
    const all = lines();
    const record = JSON.parse(all[2]!) as Record<string, unknown>;
    record['user'] = 'someone-else';
    const { recordHash } = await import('../../../server/src/audit/chain.js');
    record['hash'] = recordHash(record);
    all[2] = JSON.stringify(record);
    writeLines(all);
    expect(await problems()).toMatch(/seq 4: links to .* but the record before it hashes to/);
  });

  it('detects a deleted record', async () => {
    writeTrail(6);
    const all = lines();
    all.splice(3, 1);
    writeLines(all);
    const found = await problems();
    expect(found).toContain('seq 5: expected seq 4; records 4..4 are missing (deleted)');
  });

  it('detects reordered records', async () => {
    writeTrail(6);
    const all = lines();
    [all[1], all[2]] = [all[2]!, all[1]!];
    writeLines(all);
    const found = await problems();
    expect(found).toContain('seq 3: expected seq 2');
    expect(found).toContain('records reordered, duplicated or inserted');
  });

  it('detects an inserted record', async () => {
    writeTrail(4);
    const all = lines();
    all.splice(2, 0, all[1]!.replace('user-2', 'user-x'));
    writeLines(all);
    expect((await verifyAuditFile(file)).ok).toBe(false);
  });

  it('detects records cut from the end, through the head kept beside the trail', async () => {
    writeTrail(6);
    writeLines(lines().slice(0, 4));
    expect(await problems()).toContain(
      'the trail ends at seq 4 but its recorded head is seq 6: records were removed from the end',
    );
    // Without the head, the shortened trail is self-consistent: that is what the head is for.
    expect((await verifyAuditFile(file)).ok).toBe(true);
  });

  it('recovers a torn last line (a crash mid-write): moved aside, recorded, chain intact', async () => {
    writeTrail(3);
    fs.appendFileSync(file, '{"seq":4,"at":"2026-01-01T00:00:00.000Z","instance":"te');
    const trail = createAuditTrail({ file, instance: 'test-1' });
    trail.record({ action: 'broker.request', user: 'after', decision: 'allowed', reason: 'x' });
    await trail.close();
    const records = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r['action'])).toEqual([
      'broker.request',
      'fanout.share',
      'broker.request',
      'audit.recovered',
      'broker.request',
    ]);
    expect(String(records[3]?.['reason'])).toMatch(/incomplete last line \(\d+ bytes/);
    const aside = fs.readdirSync(dir).filter((name) => name.includes('.torn-'));
    expect(aside).toHaveLength(1);
    expect((await verifyAuditFile(file, { head: readHeadFile(headFileOf(file)) })).ok).toBe(true);
  });

  it('keeps entry fields that collide with chain fields, without breaking the chain', async () => {
    const trail = createAuditTrail({ file, instance: 'i' });
    trail.record({ action: 'x', user: null, seq: 999, hash: 'forged', prev: 'forged' });
    await trail.close();
    const [record] = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(record).toMatchObject({ seq: 1, entry: { seq: 999, hash: 'forged', prev: 'forged' } });
    expect((await verifyAuditFile(file)).ok).toBe(true);
  });

  it('runs as a command: exit 0 when intact, 1 with the problems when tampered', async () => {
    writeTrail(5);
    const run = promisify(execFile);
    const cli = path.resolve('server/src/audit/verify-cli.ts');
    const ok = await run(process.execPath, ['--import', 'tsx', cli, file]);
    expect(ok.stdout).toMatch(
      /^OK: .*: 5 records, chain intact, last seq 5 .*matches the head at seq 5/,
    );
    const all = lines();
    all.splice(1, 1);
    writeLines(all);
    const failed = await run(process.execPath, ['--import', 'tsx', cli, file]).then(
      () => null,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toContain('TAMPERED OR DAMAGED');
    expect(failed?.stdout).toContain('records 2..2 are missing (deleted)');
  }, 30_000);
});
