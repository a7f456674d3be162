// Text of PDF attachments for the index, from pdf.js in a thread of its own (pdf-text-worker.ts).
// A PDF that pdf.js cannot read, or that takes too long, gives no text (the briefing is still
// found by everything else); a thread stuck on one is replaced.
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { WorkerClient } from './worker-rpc.js';
import { startWorker } from './worker-rpc.js';

export type PdfTextExtractor = {
  /** The PDF's text, or null when it could not be read in time. */
  readonly extract: (data: Buffer) => Promise<string | null>;
  readonly close: () => Promise<void>;
};

export function createPdfTextExtractor(options: {
  readonly logger: Logger;
  readonly timeoutMs?: number;
}): PdfTextExtractor {
  const timeoutMs = options.timeoutMs ?? 20_000;
  let worker: WorkerClient | null = null;
  let closed = false;
  // One PDF at a time: pdf.js is the slow part, and a queue keeps the timeout per file.
  let queue: Promise<unknown> = Promise.resolve();

  const extractOne = async (data: Buffer): Promise<string | null> => {
    if (closed) return null;
    worker ??= startWorker('pdf-text-worker');
    const current = worker;
    const bytes = Uint8Array.from(data);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        current.call<string>('extract', { data: bytes }, [bytes.buffer]),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no text after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      options.logger.warn('could not take the text out of a PDF for search', errorFields(error));
      if (worker === current && !(error instanceof Error && error.name === 'WorkerCallError')) {
        worker = null;
        await current.terminate();
      }
      return null;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    extract: (data) => {
      const run = queue.then(() => extractOne(data));
      queue = run.catch(() => undefined);
      return run;
    },
    close: async () => {
      closed = true;
      await queue;
      await worker?.terminate();
      worker = null;
    },
  };
}
