// Starts the product's real processes (the server and the reader's browser host) from the
// build output, each with its own temporary data folder and free loopback ports, the way a
// user's machine runs them.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { GaveUp, eventually } from '../../support/eventually.js';

/** Whether a loopback port can be listened on now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The first port the kernel hands out as the local end of outgoing connections. */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return low !== undefined && Number.isFinite(low) ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * Where the ports tests listen on start: above every port browsers refuse to load a page from
 * (Chromium's and Firefox's lists end at 10080; a reader on 10080 failed with ERR_UNSAFE_PORT).
 */
const LOW = 10_100;

/**
 * A free loopback port below the range the kernel hands out to outgoing connections. A port a
 * test keeps across a process's restart (the reader's, whose address the page holds) was once
 * taken meanwhile by the local end of one of the server's connections to CouchDB (EADDRINUSE):
 * a port from listen(0) is in that range.
 */
export async function freePort(): Promise<number> {
  const high = Math.min(ephemeralLow(), 32_768);
  for (let attempt = 0; high > LOW + 2_000 && attempt < 50; attempt++) {
    const port = LOW + Math.floor(Math.random() * (high - LOW));
    if (await canListen(port)) return port;
  }
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
