// The device's one way to replace a small file so that a crash or power loss leaves either the
// previous content or the new, never half of it and never an empty file: write-file-atomic
// writes a uniquely named temp file beside the target, fsyncs it, renames it into place, removes
// the temp file on failure and queues concurrent writes to one path in call order. It does not
// fsync the folder, and without that a rename can be lost on power failure on ext4 and others
// (the new name lives in the folder's entries), so the folder is synced here after the rename.
import fs from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import writeFileAtomic from 'write-file-atomic';

export type DurableWriteOptions = {
  /** Permissions of the new file; 0600 unless said otherwise (these files are nobody else's). */
  readonly mode?: number;
};

/** Replaces `file` with `data`, durably (file then folder synced); the folder must exist. */
export async function writeFileDurably(
  file: string,
  data: string | Uint8Array,
  options: DurableWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(file, typeof data === 'string' ? data : Buffer.from(data), {
    mode: options.mode ?? 0o600,
    fsync: true,
  });
  await syncFolder(dirname(file));
}

/** Makes the folder's entries (a rename into it) durable. */
export async function syncFolder(folder: string): Promise<void> {
  // Windows cannot open a folder as a file; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  // Looked up at call time (not bound at import) so a test can watch the calls on `fs`.
  const fd = await promisify(fs.open)(folder, 'r');
  try {
    await promisify(fs.fsync)(fd);
  } finally {
    await promisify(fs.close)(fd);
  }
}
