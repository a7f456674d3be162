// Starts the product's real processes (the server and the reader's browser host) from the
// build output, each with its own temporary data folder and free loopback ports, the way a
// user's machine runs them.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { GaveUp, eventually } from '../../support/eventually.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export type Proc = {
  readonly child: ChildProcess;
  readonly output: string[];
  stop(signal?: NodeJS.Signals): Promise<void>;
};

export function startNode(
  name: string,
  script: string,
  env: Record<string, string>,
  /** Receives every line, uncapped (`output` keeps only the last 500). */
  onLine?: (line: string) => void,
): Proc {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (line: string): void => {
    onLine?.(line);
    output.push(line);
    if (output.length > 500) output.shift();
    if (process.env.ATTACHE_E2E_VERBOSE) console.log(`[${name}] ${line}`);
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', keep);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', keep);
  return {
    child,
    output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `probe` gives a value; fails at once if `proc` exits meanwhile. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  proc?: Proc,
): Promise<T> {
  try {
    return await eventually(
      async () => {
        if (proc && proc.child.exitCode !== null) {
          throw new GaveUp(
            `${what}: process exited (${proc.child.exitCode}).\n${proc.output.join('\n')}`,
          );
        }
        const value = await probe();
        if (value === undefined) throw new Error('not ready yet');
        return value;
      },
      { what, timeout: timeoutMs, interval: 250 },
    );
  } catch (error) {
    if (error instanceof GaveUp || !proc) throw error;
    const output = proc.output.slice(-40).join('\n');
    throw new Error(`${what}: not ready within ${timeoutMs} ms.\n${output}`, { cause: error });
  }
}
