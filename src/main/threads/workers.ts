// Worker threads of the device: the person's workspace, the search index and the PDF text
// extractor each run in a thread of their own, so their CPU work never holds up the main
// process's event loop (the windows, the reader's requests, IPC). Calls cross over a channel
// (channel.ts).
//
// A worker's entry is a sibling file of the module that starts it: `.js` in a build (tsc's dist/ and
// electron-vite's out/main/, which builds each entry beside index.js), `.ts` when run from
// source (tests, development), loaded through tsx.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { Worker, parentPort } from 'node:worker_threads';
import type { Channel, Handlers } from './channel.js';
import { ThreadGoneError, openChannel } from './channel.js';

/** Where a worker's entry is, and how to start it. */
export type WorkerEntry = { readonly file: string; readonly execArgv: readonly string[] };

/**
 * A worker's entry in the folder `here`: the built `.js`, else (tests, development) the `.ts`
 * through tsx. In the packaged app it is a file inside app.asar, started from there: Electron
 * reads the archive in worker threads as in the main process, and the app's code must stay in
 * the archive (electron-builder.yml: the fuses load the app only from it and check its
 * integrity; a script unpacked beside it would be neither checked nor able to import the
 * packages packed inside). Pure, so the packaged layout is tested without Electron
 * (tests/unit/build/worker-packaging.test.ts).
 */
export function workerEntry(
  here: string,
  name: string,
  exists: (path: string) => boolean,
): WorkerEntry {
  const built = join(here, `${name}.js`);
  if (exists(built)) return { file: built, execArgv: [] };
  // A package never holds the sources or tsx: say what is missing instead of failing on tsx.
  if (/\.asar(?:[\\/]|$)/.test(here)) {
    throw new Error(`the ${name} worker is missing from the packaged app: ${built}`);
  }
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { file: join(here, `${name}.ts`), execArgv: ['--import', tsx] };
}

export type StartedWorker = {
  /** Calls into the worker (and, where `handlers` were given, its calls back). */
  readonly channel: Channel;
  readonly terminate: () => Promise<void>;
  readonly onExit: (listener: (code: number) => void) => void;
  /** Whether the thread keeps the process alive: a spare waiting for work does not. */
  readonly keepAlive: (keep: boolean) => void;
};

export type StartWorkerOptions = {
  /** The folder of the module starting it: its entry is a sibling there. */
  readonly here: string;
  /** What the main thread answers when the worker calls it. */
  readonly handlers?: Handlers;
  readonly workerData?: unknown;
  readonly resourceLimits?: ResourceLimits;
};

/** Starts the worker `name`; every call waiting fails with ThreadGoneError once it ends. */
export function startWorker(name: string, options: StartWorkerOptions): StartedWorker {
  const { file, execArgv } = workerEntry(options.here, name, existsSync);
  const worker = new Worker(file, {
    execArgv: [...execArgv],
    ...(options.workerData === undefined ? {} : { workerData: options.workerData }),
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
  });
  const channel = openChannel(worker, options.handlers ?? {});
  const exitListeners: ((code: number) => void)[] = [];
  worker.on('error', (error: Error) =>
    channel.fail(new ThreadGoneError(`the ${name} thread failed: ${error.message}`)),
  );
  worker.on('exit', (code) => {
    channel.fail(new ThreadGoneError(`the ${name} thread ended (exit ${code})`));
    for (const listener of exitListeners) listener(code);
  });
  return {
    channel,
    terminate: async () => {
      await worker.terminate();
    },
    onExit: (listener) => exitListeners.push(listener),
    keepAlive: (keep) => (keep ? worker.ref() : worker.unref()),
  };
}

/**
 * The worker's side: answers each call with its handler's value or error. Calls are handled
 * one at a time, in the order they came: a handler's work is never interleaved with another's.
 */
export function serveCalls(handlers: Handlers): void {
  const port = parentPort;
  if (!port) throw new Error('serveCalls runs only inside a worker thread');
  let queue: Promise<unknown> = Promise.resolve();
  const inTurn: Record<string, (...args: never[]) => unknown> = {};
  for (const [method, handler] of Object.entries(handlers)) {
    inTurn[method] = (...args: never[]) => {
      const turn = queue.then(() => handler(...args));
      queue = turn.catch(() => undefined);
      return turn;
    };
  }
  openChannel(port, inTurn);
}
