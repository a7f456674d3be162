// A flood of garbage tokens, against the server as it runs in production (its own process,
// started by main.ts, logging to stdout): 300 made-up tokens in a burst cost the audit trail and
// the log a bounded number of lines, one of which carries the count of the rest.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { REFUSALS_RECORDED_EACH } from '../../../server/src/audit/refusal-aggregator.js';
import { waitFor } from './server-harness.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const WINDOW_MS = 1_000;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-flood-'));
let child: ChildProcess | null = null;

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

type LogLine = Record<string, unknown>;

describe('a flood of garbage tokens at the running server', () => {
  it('300 garbage tokens in a burst leave a bounded number of audit records and log lines, with a count', async () => {
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('ATTACHE_')),
    );
    Object.assign(env, {
      ATTACHE_DATA_DIR: dataDir,
      ATTACHE_SOR_PORT: '0',
      ATTACHE_BROKER_PORT: '0',
      ATTACHE_OPS_PORT: '0',
      ATTACHE_COUCH_PORT: '0',
      ATTACHE_IDP_PORT: '0',
      ATTACHE_SEED_DEMO: 'false',
      ATTACHE_LOG_LEVEL: 'info',
      ATTACHE_AUDIT_REFUSAL_WINDOW_MS: String(WINDOW_MS),
    });
    const server = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = server;
    const log: LogLine[] = [];
    createInterface({ input: server.stdout }).on('line', (line) => {
      try {
        log.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log record
      }
    });
    server.stderr.resume();
    const broker = await waitFor(
      'the server ready',
      () => Promise.resolve(log.find((l) => typeof l['broker'] === 'string')?.['broker'] as string),
      120_000,
    );

    const started = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const res = await fetch(`${broker}/db/briefings/flood-${i}`, {
          headers: { authorization: `Bearer garbage-token-${i}` },
        });
        await res.body?.cancel();
        return res.status;
      }),
    );
    const elapsed = Date.now() - started;
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);

    const trail = path.join(dataDir, 'audit', 'audit.jsonl');
    const floodRecords = () =>
      fs
        .readFileSync(trail, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine)
        .filter((r) => r['action'] === 'broker.request' && String(r['path']).includes('/flood-'));
    const accountedFor = (lines: LogLine[]) =>
      lines.reduce((sum, r) => sum + (typeof r['count'] === 'number' ? r['count'] : 1), 0);
    await waitFor(
      'every refusal accounted for in the trail',
      () => Promise.resolve(accountedFor(floodRecords()) === 300 ? true : undefined),
      WINDOW_MS * 10,
    );

    // Two kinds (malformed token; the address refused unseen), each: five records, then one
    // counting the rest, per window the burst touched.
    const bound = 2 * (REFUSALS_RECORDED_EACH + 1) * (Math.ceil(elapsed / WINDOW_MS) + 1);
    const records = floodRecords();
    expect(records.length).toBeLessThanOrEqual(bound);
    expect(records.some((r) => typeof r['count'] === 'number' && r['count'] > 1)).toBe(true);

    // The log says the same, no more: one line per record, the count in the summary's line.
    await waitFor('the log lines of the summaries', () =>
      Promise.resolve(
        log.filter((l) => String(l['path']).includes('/flood-')).length === records.length
          ? true
          : undefined,
      ),
    );
    const lines = log.filter((l) => String(l['path']).includes('/flood-'));
    expect(lines.length).toBeLessThanOrEqual(bound);
    expect(lines.some((l) => typeof l['count'] === 'number' && l['count'] > 1)).toBe(true);
    // No other line per request: the whole log of the run stays small.
    expect(log.length).toBeLessThan(100);
  }, 180_000);
});
