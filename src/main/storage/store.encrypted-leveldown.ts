// leveldown with every value sealed (AES-256-GCM, store-cipher.ts): what PouchDB's leveldb
// adapter opens for a user's databases, through its `db` option (a leveldown factory).
//
// Values are sealed on the way in (put, batch, chained batch: all reach `_put` or `_batch`) and
// opened on the way out (get, getMany, iterators). Keys stay plaintext: LevelDB orders and
// looks up by them, and PouchDB's keys are document ids, sequence numbers and attachment
// digests (docs/security.md names what that reveals).
//
// A value that fails authentication is an error, never a result. PouchDB's leveldb adapter does
// not expect read errors: some paths turn them into "missing" (a tampered document would look
// deleted) and some throw from inside their callback (allDocs), which would crash the process.
// So each failure is reported to `onIntegrityFailure` first, the store fails every pending and
// later request with it (store.pouch.ts), and whatever PouchDB throws while handling the error
// is contained here (`deliver`).
//
// On open, a key-check entry tells a wrong key from a damaged value: it is written when the
// database is created, and a database without it that holds anything was not written through
// this adapter (a store from before encryption, or planted files), so it is refused too.
import { createRequire } from 'node:module';
import type { StoreDatabase } from './store-cipher.js';
import { openValue, sealValue } from './store-cipher.js';
import { StoreIntegrityError } from './types.js';

type Key = Buffer | string;
type Callback = (error?: Error | null) => void;
type Entry = { readonly key: Key; readonly value?: Buffer | string; readonly type: 'put' | 'del' };
type IteratorOptions = {
  readonly keys: boolean;
  readonly values: boolean;
  readonly keyAsBuffer: boolean;
  readonly valueAsBuffer: boolean;
  readonly [option: string]: unknown;
};
type RawIterator = {
  next(callback: (error: Error | null | undefined, key?: Key, value?: Buffer) => void): void;
  seek(target: Key): void;
  end(callback: Callback): void;
};
type LevelDown = {
  readonly status: string;
  open(options: object, callback: Callback): void;
  close(callback: Callback): void;
  get(
    key: Key,
    options: { asBuffer: true },
    callback: (error: Error | null | undefined, value?: Buffer) => void,
  ): void;
  getMany(
    keys: readonly Key[],
    options: { asBuffer: true },
    callback: (error: Error | null | undefined, values?: ReadonlyArray<Buffer | undefined>) => void,
  ): void;
  put(key: Key, value: Buffer, options: object, callback: Callback): void;
  del(key: Key, options: object, callback: Callback): void;
  batch(operations: readonly Entry[], options: object, callback: Callback): void;
  clear(options: object, callback: Callback): void;
  iterator(options: IteratorOptions): RawIterator;
};
type NextTick = (callback: (...args: never[]) => void, ...args: unknown[]) => void;
type AbstractLevelDownClass = new (manifest: Readonly<Record<string, unknown>>) => {
  _nextTick: NextTick;
};
type AbstractIteratorClass = new (db: object) => { _nextTick: NextTick };

const require = createRequire(import.meta.url);
// The abstract-leveldown major that leveldown 6 itself implements.
const { AbstractLevelDOWN, AbstractIterator } = require('abstract-leveldown') as {
  AbstractLevelDOWN: AbstractLevelDownClass;
  AbstractIterator: AbstractIteratorClass;
};
const leveldown = require('leveldown') as (location: string) => LevelDown;

/** Outside every PouchDB sublevel (their keys start with U+00FF), so PouchDB never sees it. */
export const KEY_CHECK_KEY = 'attache:store-key-check';
const KEY_CHECK_VALUE = Buffer.from('attache-store-key-check:v1', 'utf8');

/** Why a database was refused at open; store.pouch.ts turns it into a StoreLockedError. */
export class StoreKeyCheckError extends Error {
  override readonly name = 'StoreKeyCheckError';
  constructor(readonly reason: 'wrong-key' | 'not-encrypted') {
    super(
      reason === 'wrong-key'
        ? 'the data key does not open this database'
        : 'this database was not written encrypted',
    );
  }
}

export type EncryptedLeveldownOptions = {
  readonly dataKey: Buffer;
  readonly database: StoreDatabase;
  /** Called for every value that fails authentication, before the read fails with it. */
  readonly onIntegrityFailure: (error: StoreIntegrityError) => void;
  /** Called when open refuses the database (levelup rewraps the error, losing its reason). */
  readonly onKeyCheckFailure: (error: StoreKeyCheckError) => void;
};

const asBytes = (key: Key): Buffer => (Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8'));
const isNotFound = (error: Error): boolean =>
  (error as { notFound?: unknown }).notFound === true || /notfound/i.test(error.message);

class EncryptedLevelDown extends AbstractLevelDOWN {
  private readonly inner: LevelDown;

  constructor(
    location: string,
    private readonly options: EncryptedLeveldownOptions,
  ) {
    super({
      bufferKeys: true,
      snapshots: true,
      permanence: true,
      seek: true,
      clear: true,
      getMany: true,
      createIfMissing: true,
      errorIfExists: true,
    });
    this.inner = leveldown(location);
  }

  seal(key: Key, value: Buffer | string): Buffer {
    const { dataKey, database } = this.options;
    return sealValue(dataKey, database, asBytes(key), asBytes(value));
  }

  /** The plaintext, or the integrity error (reported before it is returned). */
  unseal(key: Key, sealed: Buffer): Buffer | StoreIntegrityError {
    const { dataKey, database } = this.options;
    try {
      return openValue(dataKey, database, asBytes(key), sealed);
    } catch (error) {
      if (!(error instanceof StoreIntegrityError)) throw error;
      this.options.onIntegrityFailure(error);
      return error;
    }
  }

  /** Hands an integrity error to PouchDB; see the header for why a throw is contained. */
  deliver(callback: (error: Error) => void, error: StoreIntegrityError): void {
    try {
      callback(error);
    } catch {
      // Already reported: the store has failed the request that triggered this read.
    }
  }

  _serializeKey(key: unknown): Key {
    return Buffer.isBuffer(key) ? key : String(key);
  }

  _serializeValue(value: unknown): Buffer | string {
    return Buffer.isBuffer(value) ? value : String(value);
  }

  _open(options: object, callback: Callback): void {
    this.inner.open(options, (error) => {
      if (error) return callback(error);
      this.checkKey((checkError) => {
        if (!checkError) return callback();
        if (checkError instanceof StoreKeyCheckError) this.options.onKeyCheckFailure(checkError);
        this.inner.close(() => callback(checkError));
      });
    });
  }

  private checkKey(callback: Callback): void {
    const { dataKey, database } = this.options;
    const check = Buffer.from(KEY_CHECK_KEY, 'utf8');
    this.inner.get(check, { asBuffer: true }, (error, sealed) => {
      if (error && !isNotFound(error)) return callback(error);
      if (sealed) {
        try {
          const plain = openValue(dataKey, database, check, sealed);
          return callback(
            plain.equals(KEY_CHECK_VALUE) ? null : new StoreKeyCheckError('wrong-key'),
          );
        } catch {
          return callback(new StoreKeyCheckError('wrong-key'));
        }
      }
      const iterator = this.inner.iterator({
        keys: true,
        values: false,
        keyAsBuffer: true,
        valueAsBuffer: true,
        limit: 1,
      });
      iterator.next((nextError, key) =>
        iterator.end(() => {
          if (nextError) return callback(nextError);
          if (key !== undefined) return callback(new StoreKeyCheckError('not-encrypted'));
          this.inner.put(check, this.seal(check, KEY_CHECK_VALUE), { sync: true }, callback);
        }),
      );
    });
  }

  _close(callback: Callback): void {
    this.inner.close(callback);
  }

  _get(
    key: Key,
    options: { asBuffer: boolean },
    callback: (error: Error | null, value?: Buffer | string) => void,
  ): void {
    this.inner.get(key, { asBuffer: true }, (error, sealed) => {
      if (error || sealed === undefined) return callback(error ?? new Error('NotFound'));
      const plain = this.unseal(key, sealed);
      if (plain instanceof Error) return this.deliver(callback, plain);
      callback(null, options.asBuffer ? plain : plain.toString('utf8'));
    });
  }

  _getMany(
    keys: readonly Key[],
    options: { asBuffer: boolean },
    callback: (error: Error | null, values?: Array<Buffer | string | undefined>) => void,
  ): void {
    this.inner.getMany(keys, { asBuffer: true }, (error, sealedValues) => {
      if (error || !sealedValues) return callback(error ?? new Error('getMany failed'));
      const values: Array<Buffer | string | undefined> = [];
      for (const [i, sealed] of sealedValues.entries()) {
        if (sealed === undefined) {
          values.push(undefined);
          continue;
        }
        const plain = this.unseal(keys[i] as Key, sealed);
        if (plain instanceof Error) return this.deliver(callback, plain);
        values.push(options.asBuffer ? plain : plain.toString('utf8'));
      }
      callback(null, values);
    });
  }

  _put(key: Key, value: Buffer | string, options: object, callback: Callback): void {
    let sealed: Buffer;
    try {
      sealed = this.seal(key, value);
    } catch (error) {
      return this._nextTick(callback, error);
    }
    this.inner.put(key, sealed, options, callback);
  }

  _del(key: Key, options: object, callback: Callback): void {
    this.inner.del(key, options, callback);
  }

  _batch(operations: readonly Entry[], options: object, callback: Callback): void {
    let sealed: Entry[];
    try {
      sealed = operations.map((op) =>
        op.type === 'put' && op.value !== undefined
          ? { ...op, value: this.seal(op.key, op.value) }
          : op,
      );
    } catch (error) {
      return this._nextTick(callback, error);
    }
    this.inner.batch(sealed, options, callback);
  }

  _clear(options: object, callback: Callback): void {
    this.inner.clear(options, callback);
  }

  _iterator(options: IteratorOptions): DecryptingIterator {
    // Keys always come back, as bytes: each value is authenticated together with its key.
    const inner = this.inner.iterator({
      ...options,
      keys: true,
      keyAsBuffer: true,
      valueAsBuffer: true,
    });
    return new DecryptingIterator(this, inner, options);
  }
}

class DecryptingIterator extends AbstractIterator {
  constructor(
    private readonly owner: EncryptedLevelDown,
    private readonly inner: RawIterator,
    private readonly options: IteratorOptions,
  ) {
    super(owner);
  }

  _next(
    callback: (error?: Error | null, key?: Buffer | string, value?: Buffer | string) => void,
  ): void {
    this.inner.next((error, key, sealed) => {
      if (error) return callback(error);
      if (key === undefined) return callback();
      const { keys, values, keyAsBuffer, valueAsBuffer } = this.options;
      const bytes = asBytes(key);
      const outKey = !keys ? undefined : keyAsBuffer ? bytes : bytes.toString('utf8');
      if (!values || sealed === undefined) return callback(null, outKey);
      const plain = this.owner.unseal(bytes, sealed);
      if (plain instanceof Error) return this.owner.deliver(callback, plain);
      callback(null, outKey, valueAsBuffer ? plain : plain.toString('utf8'));
    });
  }

  _seek(target: Key): void {
    this.inner.seek(target);
  }

  _end(callback: Callback): void {
    this.inner.end(callback);
  }
}

/**
 * A leveldown factory for PouchDB's `db` option. PouchDB caches open databases by the factory's
 * function name and the path, so the name carries a fingerprint of the key: a second open of the
 * same path with another key reaches LevelDB's lock instead of the cached, already-keyed handle.
 */
export function encryptedLeveldown(
  options: EncryptedLeveldownOptions & { readonly keyId: string },
): (location: string) => EncryptedLevelDown {
  const factory = (location: string): EncryptedLevelDown =>
    new EncryptedLevelDown(location, options);
  Object.defineProperty(factory, 'name', { value: `EncryptedLevelDOWN_${options.keyId}` });
  return factory;
}
