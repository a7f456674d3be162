// AES-256-GCM for the values of a user's local databases (see store.encrypted-leveldown.ts).
//
// A sealed value is `version (1 byte) | IV (12 bytes) | ciphertext | tag (16 bytes)`. Every seal
// draws a fresh random IV: with one key per user and at most a few million writes over a store's
// life, the chance of a repeated 96-bit IV stays far below NIST SP 800-38D's 2^-32 bound.
//
// The additional authenticated data binds each value to its database and its LevelDB key, so a
// value moved to another key (one briefing's body under another's id, a receipt moved into the
// briefings database) fails authentication like any other alteration.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { StoreIntegrityError } from './types.js';

export const STORE_KEY_BYTES = 32;
const FORMAT_V1 = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const OVERHEAD = 1 + IV_BYTES + TAG_BYTES;

/** Which database of the user's store a value belongs to; part of what is authenticated. */
export type StoreDatabase = 'briefings' | 'returns';
/** What a sealed value belongs to: a database, or the summary index's file beside them. */
export type SealedScope = StoreDatabase | 'summaries';

/**
 * A Uint8Array view of a Buffer. This repository's TypeScript and @types/node disagree on
 * whether a Buffer is a Uint8Array, so byte arguments to node:crypto pass through here.
 */
const bytes = (buffer: Buffer): Uint8Array =>
  new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

const LABELS: Readonly<Record<SealedScope, Uint8Array>> = {
  briefings: bytes(Buffer.from('attache-store:v1:briefings\0', 'utf8')),
  returns: bytes(Buffer.from('attache-store:v1:returns\0', 'utf8')),
  // The summary index (summary-index.file.ts): a file beside the databases, not a LevelDB.
  summaries: bytes(Buffer.from('attache-store:v1:summaries\0', 'utf8')),
};

function additionalData(database: SealedScope, key: Buffer): Uint8Array {
  return bytes(Buffer.concat([LABELS[database], bytes(key)]));
}

function checkKey(dataKey: Buffer): void {
  if (dataKey.length !== STORE_KEY_BYTES) throw new Error('the store data key must be 32 bytes');
}

export function sealValue(
  dataKey: Buffer,
  database: SealedScope,
  key: Buffer,
  plaintext: Buffer,
): Buffer {
  checkKey(dataKey);
  const iv = bytes(randomBytes(IV_BYTES));
  const cipher = createCipheriv('aes-256-gcm', bytes(dataKey), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(database, key));
  const body = bytes(cipher.update(bytes(plaintext)));
  const final = bytes(cipher.final());
  return Buffer.concat([Uint8Array.of(FORMAT_V1), iv, body, final, bytes(cipher.getAuthTag())]);
}

/**
 * The plaintext of a sealed value. A value that is not in the sealed format or fails
 * authentication (altered, moved, damaged, or sealed with another key) throws
 * StoreIntegrityError: it is never returned in part or as it stands.
 */
export function openValue(
  dataKey: Buffer,
  database: SealedScope,
  key: Buffer,
  sealed: Buffer,
): Buffer {
  checkKey(dataKey);
  if (sealed.length < OVERHEAD || sealed[0] !== FORMAT_V1) {
    throw new StoreIntegrityError(database, 'is not an encrypted value');
  }
  const view = bytes(sealed);
  const iv = view.subarray(1, 1 + IV_BYTES);
  const tag = view.subarray(view.length - TAG_BYTES);
  const body = view.subarray(1 + IV_BYTES, view.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', bytes(dataKey), iv, {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(additionalData(database, key));
  decipher.setAuthTag(tag);
  const plaintext = decipher.update(body);
  try {
    const rest = decipher.final(); // empty for GCM, a stream mode; checks the tag
    return rest.length === 0 ? plaintext : Buffer.concat([bytes(plaintext), bytes(rest)]);
  } catch {
    // GCM releases plaintext before the tag is checked; none of it may outlive the failure.
    plaintext.fill(0);
    throw new StoreIntegrityError(database, 'failed its integrity check');
  }
}
