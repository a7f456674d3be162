// A failure nobody caught never ends the server process without a word: an uncaught exception is
// logged as fatal with its stack and ends the process (exit code 1, for its supervisor); a
// rejection nobody handled is logged with its stack and the process goes on. Proven in a real
// Node process, as main.ts installs it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../../..');

/** Runs `body` in a fresh Node process with the server's handlers installed as main.ts does. */
function runWithHandlers(body: string): Promise<{ code: number | null; lines: unknown[] }> {
  const script = `
    import { createLogger } from './server/src/observability/logger.ts';
    import { handleProcessFaults } from './server/src/observability/process-faults.ts';
    handleProcessFaults({ logger: createLogger('main'), exit: (code) => process.exit(code) });
    ${body}
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: repo, env: { ...process.env, ATTACHE_LOG_LEVEL: 'info' }, stdio: 'pipe' },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.resume();
    child.on('error', reject);
    child.on('exit', (code) =>
      resolve({
        code,
        lines: out
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as unknown),
      }),
    );
  });
}

describe('failures nobody caught, in the server process', () => {
  it('logs an uncaught exception as fatal with its stack and context, then exits with 1', async () => {
    const { code, lines } = await runWithHandlers(`
      function readLeaseDocument() { throw new TypeError('requests.forEach is not a function'); }
      setTimeout(readLeaseDocument, 10);
    `);
    expect(code).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 60,
        scope: 'main',
        origin: 'uncaughtException',
        pid: expect.any(Number) as unknown,
        err: expect.objectContaining({
          name: 'TypeError',
          message: 'requests.forEach is not a function',
          stack: expect.stringContaining('readLeaseDocument') as unknown,
        }) as unknown,
        msg: 'uncaught exception: the process stops so that its supervisor starts a clean one',
      }),
    );
  }, 30_000);

  it('logs a rejection nobody handled with its stack, and goes on', async () => {
    const { code, lines } = await runWithHandlers(`
      async function fetchProgressFigures() { throw new Error('socket hang up'); }
      void fetchProgressFigures();
      setTimeout(() => { console.log(JSON.stringify({ still: 'running' })); process.exit(0); }, 200);
    `);
    expect(code).toBe(0);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        origin: 'unhandledRejection',
        err: expect.objectContaining({
          message: 'socket hang up',
          stack: expect.stringContaining('fetchProgressFigures') as unknown,
        }) as unknown,
      }),
    );
    expect(lines).toContainEqual({ still: 'running' });
  }, 30_000);
});
