// A device process survives a promise rejection nobody handles (PouchDB leaves one when a
// progress request fails mid-sync), and logs it. Run in a child process: Node's default is to
// end the process, which is what the control run shows.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');

/** A script that rejects a promise nobody handles, then says whether it is still alive. */
const script = (guarded: boolean) => `
  import { createLogger, configureLogging } from './src/main/logging/logger.ts';
  import { logUnhandledRejections } from './src/main/logging/unhandled-rejections.ts';
  configureLogging({ level: 'info' });
  if (${guarded}) logUnhandledRejections(createLogger('test'));
  void Promise.reject(Object.assign(new Error('database is closed'), { status: 500 }));
  setTimeout(() => { process.stdout.write('still running'); }, 100);
`;

async function runScript(guarded: boolean) {
  return run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(guarded)], {
    cwd: ROOT,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('unhandled rejections in a device process', () => {
  it('are logged, and the process goes on', async () => {
    const { code, stdout, stderr } = await runScript(true);
    expect(code).toBe(0);
    expect(stdout).toBe('still running');
    const record = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => String(line['msg'] ?? line['message']).includes('not handled'));
    expect(record).toMatchObject({ error: 'database is closed', status: 500 });
  }, 30_000);

  it('end the process without the guard (the control)', async () => {
    const { code, stdout } = await runScript(false);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
  }, 30_000);
});
