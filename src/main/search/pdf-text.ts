// Text of PDF attachments for the index, from pdf.js in a thread of its own (pdf-text-worker.ts).
// A PDF that pdf.js cannot read, or that takes too long, gives no text (the briefing is still
// found by everything else); a thread stuck on one is replaced.
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ThreadCallError } from '../threads/channel.js';
import type { StartedWorker } from '../threads/workers.js';
import { startWorker } from '../threads/workers.js';

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
  let worker: StartedWorker | null = null;
  let closed = false;
  // One PDF at a time: pdf.js is the slow part, and a queue keeps the timeout per file.
  let queue: Promise<unknown> = Promise.resolve();

  const extractOne = async (data: Buffer): Promise<string | null> => {
    if (closed) return null;
    worker ??= startWorker('pdf-text-worker', { here: dirname(fileURLToPath(import.meta.url)) });
    const current = worker;
    const bytes = Uint8Array.from(data);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        current.channel.callTransferring<string>('extract', [{ data: bytes }], [bytes.buffer]),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no text after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      options.logger.warn('could not take the text out of a PDF for search', errorFields(error));
      // A PDF pdf.js could not read failed inside the thread; anything else (a timeout, the
      // thread gone) replaces the thread.
      if (worker === current && !(error instanceof ThreadCallError)) {
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
