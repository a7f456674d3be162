// The device's local store for one user: a briefings database (pull target, written only by
// replication) and a returns database (read receipts and, later, annotations; push source).
// The PouchDB adapter is `store.pouch.ts`; everything else sees only this contract.
import { AppError } from '../../shared/app-error.js';
import type { SummaryIndexFile } from './summary-index.file.js';

/** A document as stored, before validation: the briefings service decides what is valid. */
export type StoredDoc = {
  readonly _id: string;
  readonly _rev: string;
  readonly [field: string]: unknown;
};

export type AttachmentData = {
  readonly contentType: string;
  readonly data: Buffer;
};

/** What the sync service keeps across restarts. */
export type PersistedSyncState = {
  readonly lastSyncedAt: string | null;
  /** Returns-database sequence up to which the server has confirmed the push. */
  readonly pushedSeq: string | number;
  /**
   * Written by releases that copied the server's returns once, at sign-in; the live pull of the
   * returns (UserStore.returnsPullTarget) replaced that copy, and nothing reads it any more.
   */
  readonly returnsRestored?: boolean;
};

/** One page of a database's changes feed, read on demand (the summary index catches up with it). */
export type ChangesPage = {
  /** Each changed document once, at its newest revision; null for a deletion. */
  readonly results: readonly { readonly id: string; readonly doc: StoredDoc | null }[];
  /** The sequence to ask from next time. */
  readonly lastSeq: string | number;
  /** The page was full: there may be more after `lastSeq`. */
  readonly more: boolean;
};

export type LocalChange = {
  readonly id: string;
  readonly deleted: boolean;
};

/**
 * What one write of the pull put into the briefings database (UserStore.onBriefingsWritten):
 * the changes feed between `from` and `to`, as the feed would tell them, without reading it.
 */
export type BriefingsWritten = {
  /** The database's sequence just before the write and just after it: no other write between. */
  readonly from: string | number;
  readonly to: string | number;
  /**
   * Each briefing the write touched, at its winning revision (without attachments' content or
   * revision history); null when no live revision of it is left.
   */
  readonly results: readonly { readonly id: string; readonly doc: StoredDoc | null }[];
};

/**
 * A remote database handle, made by the sync capability's broker transport and handed to the
 * store for the replication PouchDB runs (the push). The store never
 * makes one: it does not talk to the network.
 */
export type RemoteDatabase = {
  readonly close: () => Promise<void>;
};

export type ReplicationEvent =
  | { readonly kind: 'active' }
  | { readonly kind: 'paused'; readonly error: unknown }
  | { readonly kind: 'change'; readonly docsWritten: number; readonly ids: readonly string[] }
  /** Checkpoint written: the source sequence up to which everything is on the target. */
  | { readonly kind: 'checkpoint'; readonly seq: string | number }
  | { readonly kind: 'denied'; readonly error: unknown }
  /** The replication ended (fatal error or cancelled); the sync service decides whether to restart. */
  | { readonly kind: 'stopped'; readonly error: unknown };

export type PushOptions = {
  readonly remote: RemoteDatabase;
  /** Delay before PouchDB's own retry, given the previous delay (0 on the first failure). */
  readonly backOff: (previousMs: number) => number;
  readonly onEvent: (event: ReplicationEvent) => void;
};

/** Where the device's own pull stands, kept in the briefings database (encrypted like it). */
export type PullCheckpoint = {
  /** The server's sequence up to which every change is in the store. */
  readonly since: string | number;
  /**
   * A full pass over the server's changes feed found nothing missing since the store was
   * created (or its rule changed): the first sync is complete.
   */
  readonly verified: boolean;
};

/** A document as the server's `_bulk_get` answers it: with its revision history, attachments inline. */
export type ReplicatedDoc = StoredDoc & {
  readonly _revisions?: { readonly start: number; readonly ids: readonly string[] };
  readonly _deleted?: boolean;
};

/** What the pull writes into, and nothing else may: the briefings database. */
export type PullTarget = {
  /** Null when none is kept, or it was kept under another rule (acceptBriefing's key). */
  readonly readCheckpoint: () => Promise<PullCheckpoint | null>;
  readonly writeCheckpoint: (checkpoint: PullCheckpoint) => Promise<void>;
  /**
   * Of the revisions named (per document id), those the store lacks, each with the revisions it
   * holds of that document (to fetch only attachments newer than them).
   */
  readonly missingRevisions: (
    revisions: Readonly<Record<string, readonly string[]>>,
  ) => Promise<Record<string, { missing: string[]; have: string[] }>>;
  /**
   * The current revision of every document the database holds (deleted ones left out), in one
   * read of the index rather than one per document: the final pass of a first sync sets aside
   * what it certainly holds before asking missingRevisions about the rest.
   */
  readonly currentRevisions: () => Promise<ReadonlyMap<string, string>>;
  /**
   * Writes revisions exactly as the server holds them (history, deletions, attachments), the
   * way replication does; a briefing the store may not hold (acceptBriefing) is left out.
   * Resolves with the ids written.
   */
  readonly writeReplicated: (docs: readonly ReplicatedDoc[]) => Promise<string[]>;
  /**
   * Nothing but the pull writes revisions into this database (the briefings; not the returns,
   * which the device writes too): a document the pull knows the database does not hold lacks
   * every revision the feed names, so a first sync fetches it without asking missingRevisions.
   */
  readonly soleWriter: boolean;
};

/** The text of one version of a briefing, kept while annotations were made on it (version-texts.pouch.ts). */
export type VersionText = {
  readonly briefingId: string;
  readonly sourceVersion: number;
  readonly title: string;
  /** As the server sent it; the reader sanitises it as it does the current version's. */
  readonly bodyHtml: string;
  /** When this device kept it (ISO 8601). */
  readonly keptAt: string;
};

export type ReplicationHandle = {
  /** Stops the replication; resolves once it has settled (checkpoint writes included). */
  readonly cancel: () => Promise<void>;
};

export type UserStore = {
  readonly userId: string;
  /** Absolute folder of this user's store (for diagnostics and tests, never shown to the reader). */
  readonly location: string;

  readonly listBriefingDocs: () => Promise<readonly StoredDoc[]>;
  /** Every briefing's id and current revision, without reading the documents. */
  readonly listBriefingRevisions: () => Promise<ReadonlyMap<string, string>>;
  readonly getBriefingDoc: (id: string) => Promise<StoredDoc | null>;
  /** The documents of these briefings that exist, in one read. */
  readonly getBriefingDocs: (ids: readonly string[]) => Promise<readonly StoredDoc[]>;
  readonly getBriefingAttachment: (id: string, name: string) => Promise<AttachmentData | null>;

  /** Changes to the briefings database after `since` (at most `limit`), with the documents. */
  readonly briefingChangesSince: (since: string | number, limit: number) => Promise<ChangesPage>;
  /** The briefings database's current update sequence. */
  readonly briefingsUpdateSeq: () => Promise<string | number>;
  /** The same for the returns database. */
  readonly returnChangesSince: (since: string | number, limit: number) => Promise<ChangesPage>;
  /**
   * Called before the pull writes new revisions of briefings the store holds, with their ids,
   * while the revisions held are still readable (auto-compaction drops them once replaced): the
   * annotations keep the text a mark was made on (keepVersionText). One listener at a time.
   */
  readonly onBriefingsReplacing: (
    listener: (ids: readonly string[]) => Promise<void>,
  ) => () => void;
  /** Keeps the text of a briefing's version (once per version); dropped with the briefing. */
  readonly keepVersionText: (text: VersionText) => Promise<void>;
  readonly readVersionText: (
    briefingId: string,
    sourceVersion: number,
  ) => Promise<VersionText | null>;
  /** The summary index's sealed file beside the databases (summary-index.file.ts). */
  readonly summaryIndexFile: SummaryIndexFile;

  readonly listReturnDocs: () => Promise<readonly StoredDoc[]>;
  /** Creates a return document; ids are unique per event, so an existing id is an error. */
  readonly createReturnDoc: (id: string, body: Readonly<Record<string, unknown>>) => Promise<void>;
  /**
   * Number of return documents written here after `seq` (what the push has not confirmed yet);
   * those that came from the server are not counted.
   */
  readonly countReturnsSince: (seq: string | number) => Promise<number>;
  /** The returns database's current update sequence. */
  readonly returnsUpdateSeq: () => Promise<string | number>;

  readonly readSyncState: () => Promise<PersistedSyncState>;
  readonly writeSyncState: (state: PersistedSyncState) => Promise<void>;

  /** Local changes to the briefings database (replication writes and deletions). */
  readonly onBriefingsChange: (listener: (changes: readonly LocalChange[]) => void) => () => void;
  /**
   * The documents each write of the pull put into the briefings database, told as the write
   * ends, so that a follower of the changes feed (the summary index) need not read back what
   * was just written. A write whose revisions are not all their briefing's winning one (a
   * conflict) is not told: the feed says what it left.
   */
  readonly onBriefingsWritten: (listener: (written: BriefingsWritten) => void) => () => void;
  /** Local writes to the returns database. */
  readonly onReturnsChange: (listener: (changes: readonly LocalChange[]) => void) => () => void;

  /** Pushes the returns database to `remote`, live, until cancelled; deletions stay local. */
  readonly pushReturns: (options: PushOptions) => ReplicationHandle;
  /** The briefings database as the device's own pull writes into it. */
  readonly pullTarget: PullTarget;
  /**
   * The returns database as the device's live pull of the server's returns writes into it: the
   * read receipts and annotations written on the person's other devices (and on this one before
   * a sign-out). What arrives this way is never counted as unsent; the annotation events of a
   * briefing withdrawn from this device are left out.
   */
  readonly returnsPullTarget: PullTarget;
  /**
   * Takes the annotation events of withdrawn briefings (unshared, or above the device's
   * ceiling) off the disk, quotes and notes with them, once the server holds them: written here
   * up to `pushedSeq` (the push's checkpoint), or received from the server. The caller must
   * cancel replications first. Resolves with how many went, and how many wait to be sent.
   */
  readonly removeWithdrawnAnnotations: (
    pushedSeq: string | number,
  ) => Promise<{ readonly removed: number; readonly unsent: number }>;

  /**
   * Removes the content of deleted (unshared) briefings from disk, not just from view. The
   * caller must cancel replications first; reads wait until the purge is done.
   */
  readonly purgeDeleted: () => Promise<void>;
  /**
   * Deletes these briefings from the local copy (a policy no longer lets the device hold them);
   * purgeDeleted then takes their content off the disk. Resolves with how many were there.
   */
  readonly removeBriefings: (ids: readonly string[]) => Promise<number>;
  /**
   * A key for data derived from this store and kept beside it (the search index), made from the
   * store's data key: it goes when that key goes (sign-out, wipe), and is never stored.
   */
  readonly deriveKey: (purpose: DerivedKeyPurpose) => Buffer;
  readonly close: () => Promise<void>;
};

export type DerivedKeyPurpose = 'search-index';

/** Stable codes of the store's errors; each error's message says what a person can do. */
export const STORE_ERROR_CODES = {
  /** The store's data key is no longer in the keychain (keychain reset, another account). */
  keyMissing: 'store-key-missing',
  /** The keychain holds a key that does not open this store. */
  keyMismatch: 'store-key-mismatch',
  /** A stored value failed authentication: altered or damaged on disk. */
  integrity: 'store-integrity',
} as const;

/**
 * The store on disk cannot be decrypted. It is a copy of what the server holds, so it can be
 * discarded and downloaded again, except for returns written here and not yet confirmed by the
 * server (`unsentReturns`): those exist nowhere else and are lost with the store.
 */
export class StoreLockedError extends AppError {
  override readonly name = 'StoreLockedError';
  declare readonly code: typeof STORE_ERROR_CODES.keyMissing | typeof STORE_ERROR_CODES.keyMismatch;
  constructor(
    code: typeof STORE_ERROR_CODES.keyMissing | typeof STORE_ERROR_CODES.keyMismatch,
    readonly unsentReturns: number,
  ) {
    const cause =
      code === STORE_ERROR_CODES.keyMissing
        ? 'The key that protects the briefings stored on this device is no longer in the system keychain (was the keychain reset?)'
        : 'The key in the system keychain does not open the briefings stored on this device';
    const consequence =
      unsentReturns === 0
        ? 'so that copy cannot be read. Nothing written on this device is waiting to be sent: the copy can be discarded and your briefings downloaded again after sign-in.'
        : `so that copy cannot be read, and ${unsentReturns} read receipt${unsentReturns === 1 ? '' : 's'} or note${unsentReturns === 1 ? '' : 's'} written on this device had not reached the server yet. Ask IT to restore the keychain; discarding this copy (docs/operations.md, "Local store cannot be read") loses ${unsentReturns === 1 ? 'it' : 'them'}.`;
    super(code, `${cause}, ${consequence}`);
  }
}

/** A value read from the store failed authentication; nothing of it is returned. */
export class StoreIntegrityError extends AppError {
  override readonly name = 'StoreIntegrityError';
  declare readonly code: typeof STORE_ERROR_CODES.integrity;
  constructor(
    readonly database: string,
    problem: string,
  ) {
    super(
      STORE_ERROR_CODES.integrity,
      `A value in the local ${database} database ${problem}: the files were altered or damaged. Attaché will not use this copy of your briefings; discard it (docs/operations.md, "Local store cannot be read") and they are downloaded again.`,
      // Altered files are not a state the app should reach: logged as an error for support.
      { expected: false },
    );
  }
}
