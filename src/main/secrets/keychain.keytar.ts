// The Keychain port on the OS keychain through keytar: macOS Keychain, Windows Credential
// Manager, the Secret Service (gnome-keyring, KWallet) on Linux.
//
// Windows Credential Manager refuses secrets over 2,560 bytes, and an MSAL cache holding three
// JWTs is larger than that. So a long value is split into parts, each its own keychain entry,
// and the entry under the secret's own name holds a small manifest. Parts are named after the
// value's digest and written before the manifest that points at them, and the old parts are
// deleted only after it: a crash in the middle leaves either the old value or the new one
// readable, never a mix. Every platform takes the same path, so Linux tests cover it.
import { createHash } from 'node:crypto';
import keytar from 'keytar';
import type { Keychain, SecretName } from './types.js';
import { KeychainError } from './types.js';

/** Comfortably under Windows' 2,560-byte credential blob. */
export const MAX_PART_BYTES = 2_000;
const MANIFEST_PREFIX = 'attache-parts:v1:';

type Manifest = { readonly digest: string; readonly count: number };

function parseManifest(value: string): Manifest | null {
  if (!value.startsWith(MANIFEST_PREFIX)) return null;
  const [digest, count] = value.slice(MANIFEST_PREFIX.length).split(':');
  const n = Number(count);
  if (!digest || !/^[0-9a-f]{16}$/.test(digest) || !Number.isInteger(n) || n < 1 || n > 1000)
    return null;
  return { digest, count: n };
}

function digestOf(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
}

const partName = (name: string, digest: string, index: number): string =>
  `${name}#${digest}.${index}`;

/** Splits on code point boundaries so that no part holds half a UTF-8 sequence. */
export function splitUtf8(value: string, maxBytes: number): string[] {
  const parts: string[] = [];
  let current = '';
  let bytes = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > maxBytes && current.length > 0) {
      parts.push(current);
      current = '';
      bytes = 0;
    }
    current += char;
    bytes += size;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/** The calls this adapter makes, so tests can count them; keytar itself by default. */
/** Every keychain call of this process, one at a time (see `serial` below). */
let processQueue: Promise<unknown> = Promise.resolve();

export type KeytarLike = Pick<typeof keytar, 'getPassword' | 'setPassword' | 'deletePassword'>;

export function createKeytarKeychain(options: {
  readonly service: string;
  readonly keytar?: KeytarLike;
}): Keychain {
  const { service } = options;
  const backend = options.keytar ?? keytar;

  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw new KeychainError(
        `The system keychain could not ${what}. On Linux a Secret Service (gnome-keyring or KWallet) must be running and unlocked.`,
        { cause: error },
      );
    }
  };
  const read = (account: string) => wrap('be read', () => backend.getPassword(service, account));
  const write = (account: string, value: string) =>
    wrap('be written', () => backend.setPassword(service, account, value));
  const remove = (account: string) =>
    wrap('be changed', () => backend.deletePassword(service, account));

  const deleteParts = async (name: string, manifest: Manifest): Promise<void> => {
    for (let i = 0; i < manifest.count; i++) await remove(partName(name, manifest.digest, i));
  };

  // Serialised: a set racing a delete of the same name could otherwise leave a manifest
  // pointing at parts that the delete just removed. The queue is the process's, not this
  // keychain's: keytar runs each call on a libuv worker thread, and libsecret aborts the
  // process when one thread reads an item while another deletes (seen with two devices'
  // keychains in one process, one of them wiping).
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = processQueue.then(task, task);
    processQueue = run.catch(() => undefined);
    return run;
  };

  return {
    get: (name: SecretName) =>
      serial(async () => {
        const head = await read(name);
        if (head === null) return null;
        const manifest = parseManifest(head);
        if (!manifest) return head;
        const parts: string[] = [];
        for (let i = 0; i < manifest.count; i++) {
          const part = await read(partName(name, manifest.digest, i));
          // A part removed behind our back: the value is gone, which is "not found".
          if (part === null) return null;
          parts.push(part);
        }
        const value = parts.join('');
        return digestOf(value) === manifest.digest ? value : null;
      }),

    set: (name: SecretName, value: string) =>
      serial(async () => {
        const previousHead = await read(name);
        const previous = previousHead === null ? null : parseManifest(previousHead);
        const needsParts =
          Buffer.byteLength(value, 'utf8') > MAX_PART_BYTES || value.startsWith(MANIFEST_PREFIX);
        if (!needsParts) {
          await write(name, value);
        } else {
          const digest = digestOf(value);
          const parts = splitUtf8(value, MAX_PART_BYTES);
          for (const [i, part] of parts.entries()) await write(partName(name, digest, i), part);
          await write(name, `${MANIFEST_PREFIX}${digest}:${parts.length}`);
          if (previous?.digest === digest) return;
        }
        if (previous) await deleteParts(name, previous);
      }),

    delete: (name: SecretName) =>
      serial(async () => {
        const head = await read(name);
        if (head === null) return;
        await remove(name);
        const manifest = parseManifest(head);
        if (manifest) await deleteParts(name, manifest);
      }),
  };
}
