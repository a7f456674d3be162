// A request body read whole, up to a limit, on its way to CouchDB: the broker (the bodies it
// checks before they go upstream) and the embedded CouchDB-protocol server (a user's own `_users`
// document) both need one, and neither may buffer without bound.
import type { IncomingMessage } from 'node:http';

/** Reads a body of at most `limit` bytes; null when it is larger (the rest is not read). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Uint8Array;
    size += bytes.byteLength;
    if (size > limit) return null;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
