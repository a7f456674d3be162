// Calls into a worker thread as promises: the search index and the PDF text extractor each run
// in a thread of their own, so their CPU work never holds up the main process's event loop
// (the reader's requests, sync, IPC).
//
// A worker's entry is a sibling file of this one: `.js` in a build (tsc's dist/ and
// electron-vite's out/main/, which builds each entry beside index.js), `.ts` when run from
// source (tests, development), loaded through tsx.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TransferListItem } from 'node:worker_threads';
import { Worker, parentPort } from 'node:worker_threads';

type Request = { readonly id: number; readonly method: string; readonly args: unknown };
type Reply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { readonly name: string; readonly code?: string; readonly message: string };
    };

/** A failure inside the worker, as the caller sees it: its code and message, no stack. */
export class WorkerCallError extends Error {
  override readonly name = 'WorkerCallError';
  constructor(
    readonly code: string | undefined,
    message: string,
    readonly remoteName: string,
  ) {
    super(message);
  }
}

/** The worker ended (crashed, or was stopped) before it answered. */
export class WorkerGoneError extends Error {
  override readonly name = 'WorkerGoneError';
}

export type WorkerClient = {
  readonly call: <T>(
    method: string,
    args?: unknown,
    transfer?: readonly TransferListItem[],
  ) => Promise<T>;
  /** Calls not yet answered. */
  readonly pending: () => number;
  readonly terminate: () => Promise<void>;
  readonly onExit: (listener: (code: number) => void) => void;
};

/** Where a worker's entry is, and how to start it; `here` is this module's folder. */
export type WorkerEntry = { readonly file: string; readonly execArgv: readonly string[] };

/**
 * A worker's entry beside this module: the built `.js`, else (tests, development) the `.ts`
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

export function startWorker(name: string): WorkerClient {
  const { file, execArgv } = workerEntry(dirname(fileURLToPath(import.meta.url)), name, existsSync);
  const worker = new Worker(file, { execArgv: [...execArgv] });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exitListeners: ((code: number) => void)[] = [];
  let nextId = 1;
  let gone: Error | null = null;

  worker.on('message', (reply: Reply) => {
    const call = waiting.get(reply.id);
    if (!call) return;
    waiting.delete(reply.id);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(new WorkerCallError(reply.error.code, reply.error.message, reply.error.name));
  });
  const fail = (error: Error): void => {
    gone ??= error;
    for (const call of waiting.values()) call.reject(gone);
    waiting.clear();
  };
  worker.on('error', (error: Error) =>
    fail(new WorkerGoneError(`the ${name} thread failed: ${error.message}`)),
  );
  worker.on('exit', (code) => {
    fail(new WorkerGoneError(`the ${name} thread ended (exit ${code})`));
    for (const listener of exitListeners) listener(code);
  });

  return {
    call: <T>(method: string, args?: unknown, transfer: readonly TransferListItem[] = []) => {
      if (gone) return Promise.reject(gone);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        worker.postMessage({ id, method, args } satisfies Request, [...transfer]);
      });
    },
    pending: () => waiting.size,
    terminate: async () => {
      await worker.terminate();
    },
    onExit: (listener) => exitListeners.push(listener),
  };
}

/**
 * The worker's side: answers each call with its handler's value or error. Calls are handled
 * one at a time, in the order they came: a handler's work is never interleaved with another's.
 */
export function serveCalls(handlers: Readonly<Record<string, (args: never) => unknown>>): void {
  const port = parentPort;
  if (!port) throw new Error('serveCalls runs only inside a worker thread');
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: Request) => {
    queue = queue.then(async () => {
      const handler = handlers[request.method];
      let reply: Reply;
      try {
        if (!handler) throw new Error(`no such call: ${request.method}`);
        reply = { id: request.id, ok: true, value: await handler(request.args as never) };
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        const code = (e as { code?: unknown }).code;
        reply = {
          id: request.id,
          ok: false,
          error: {
            name: e.name,
            message: e.message,
            ...(typeof code === 'string' ? { code } : {}),
          },
        };
      }
      port.postMessage(reply);
    });
  });
}
