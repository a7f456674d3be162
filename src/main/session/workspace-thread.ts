// Opens the person's workspace in a thread of its own (session/workspace-worker.ts) and gives
// the main thread the same services as if it were here: the reader's calls cross as messages,
// and the main thread's event loop is left to the windows and IPC while a first sync of
// thousands of briefings decodes, encrypts and writes in the other thread's heap.
//
// The thread can start before anyone is known (launchWorkspaceThread, at the app's launch):
// its modules load while the window does, and `open` later binds it to the person who signed in.
//
// The thread may ask the main thread for the person's two store secrets in the keychain (no
// other: the sign-in's tokens stay out of its reach), for an access token, and to log; it tells
// what changed. An error crosses as its name, code and message and is rebuilt here as the kind
// the reader's handlers and the sync status know (storage/types.ts, secrets/types.ts).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SyncStatus } from '../../shared/ipc.js';
import { AppError } from '../../shared/app-error.js';
import type { AnnotationsService } from '../annotations/annotations-service.js';
import type { BriefingsService } from '../briefings/briefings-service.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { SearchService } from '../search/search-service.js';
import { SearchIndexError } from '../search/types.js';
import type { Keychain, SecretName } from '../secrets/types.js';
import { KeychainError, storeKeySecretName } from '../secrets/types.js';
import { storeFolderKeySecretName } from '../storage/store-folder.js';
import { StoreLockedError } from '../storage/types.js';
import type { SyncService } from '../sync/types.js';
import type { Channel, Handlers } from '../threads/channel.js';
import { ThreadCallError, ThreadGoneError } from '../threads/channel.js';
import type { StartedWorker } from '../threads/workers.js';
import { startWorker } from '../threads/workers.js';
import type { UserWorkspaceOptions } from './user-workspace.js';
import { WORKSPACE_CALLS } from './workspace-calls.js';
import type { WorkspaceThreadSettings } from './workspace-worker.js';

/** The person's open workspace as the main thread holds it. */
export type OpenWorkspace = {
  readonly userId: string;
  /** The store's folder on disk. */
  readonly location: string;
  readonly briefings: BriefingsService;
  readonly annotations: AnnotationsService;
  readonly sync: SyncService;
  readonly search: SearchService;
  /** Stops sync, closes the store and ends the thread. */
  readonly close: () => Promise<void>;
  /** The thread ended on its own (a crash): the workspace is gone. */
  readonly onGone: (listener: (error: Error) => void) => void;
};

/**
 * The young generation of the thread's heap: a first sync's garbage is mostly short-lived
 * decoded answers. A small young space is collected more often, in shorter pauses, with less
 * memory held between them; at 16 MB a first sync with a PDF on every briefing spent its time
 * collecting (bench:device, 3 rounds each: ratio 0.85 at 16 MB, 1.00 at 32 MB, RSS 1.06 both).
 */
const YOUNG_GENERATION_MB = 32;

/** An error from the thread, as the kind the main thread's code tells apart. */
export function rebuildError(error: unknown): unknown {
  if (!(error instanceof ThreadCallError)) return error;
  const { code, message, details } = error;
  if (error.name === 'KeychainError') return new KeychainError(message);
  if (error.name === 'SearchIndexError' && code) {
    return new SearchIndexError(code as ConstructorParameters<typeof SearchIndexError>[0], message);
  }
  if (error.name === 'StoreLockedError' && code) {
    const unsent = typeof details['unsentReturns'] === 'number' ? details['unsentReturns'] : 0;
    return new StoreLockedError(code as ConstructorParameters<typeof StoreLockedError>[0], unsent);
  }
  if (code !== undefined && error.expected !== undefined) {
    const rebuilt = new AppError(code, message, { expected: error.expected });
    rebuilt.name = error.name;
    return rebuilt;
  }
  return error;
}

/**
 * The keychain as the workspace thread may use it: this person's store key and folder key,
 * nothing else. The sign-in's tokens and other people's keys stay out of its reach.
 */
export function storeSecretsOnly(keychain: Keychain, userId: string): Keychain {
  const names = new Set<SecretName>([storeKeySecretName(userId), storeFolderKeySecretName(userId)]);
  const refused = () => Promise.reject(new Error('the workspace thread may not use that secret'));
  return {
    get: (name) => (names.has(name) ? keychain.get(name) : refused()),
    set: (name, value) => (names.has(name) ? keychain.set(name, value) : refused()),
    delete: (name) => (names.has(name) ? keychain.delete(name) : refused()),
  };
}

/** A service whose every method is a call into the thread. */
function remote<T>(channel: Channel, service: keyof typeof WORKSPACE_CALLS): T {
  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of WORKSPACE_CALLS[service]) {
    methods[method] = (...args) =>
      channel.call(`${service}.${method}`, ...args).catch((error: unknown) => {
        throw rebuildError(error);
      });
  }
  return methods as T;
}

export type WorkspaceThreadOptions = Omit<UserWorkspaceOptions, 'ceiling'> & {
  readonly ceiling: WorkspaceThreadSettings['ceiling'];
};

/**
 * A workspace thread started before it is known whose workspace it will hold: its modules
 * (the store, PouchDB, the sync, the search) load while the app starts, not while the person
 * waits for their first screen. Until `open` binds it to a person it may ask the main thread
 * for nothing: no secret, no token.
 */
export type WorkspaceThreadLaunch = {
  /** Resolves once the thread has loaded its modules and answers calls. */
  readonly ready: () => Promise<void>;
  /** False once the thread has ended (a crash) or been opened or discarded. */
  readonly usable: () => boolean;
  /** Binds the thread to the person and opens their workspace in it; once. */
  readonly open: (options: WorkspaceThreadOptions) => Promise<OpenWorkspace>;
  /** Ends the thread if it was never opened. */
  readonly discard: () => Promise<void>;
};

/** Whom a workspace thread serves, once `open` has bound it to a person. */
export type ThreadBinding = {
  readonly secrets: Keychain;
  readonly tokenProvider: WorkspaceThreadOptions['tokenProvider'];
  readonly logger: Logger;
};

/**
 * What a workspace thread may ask of the main thread: the bound person's store secrets
 * (storeSecretsOnly) and an access token. Before a binding, every request is refused.
 */
export function requestsFromThread(binding: () => ThreadBinding | null): Handlers {
  const bound = (): ThreadBinding => {
    const current = binding();
    if (!current) throw new Error('the workspace thread is not bound to a person yet');
    return current;
  };
  return {
    'keychain.get': (name: SecretName) => bound().secrets.get(name),
    'keychain.set': (name: SecretName, value: string) => bound().secrets.set(name, value),
    'keychain.delete': (name: SecretName) => bound().secrets.delete(name),
    'token.get': () => bound().tokenProvider.getAccessToken(),
  };
}

/** Starts a workspace thread that waits, without keeping the process alive, for `open`. */
export function launchWorkspaceThread(logger: Logger): WorkspaceThreadLaunch {
  let bound: ThreadBinding | null = null;
  const thread = startWorker('workspace-worker', {
    here: dirname(fileURLToPath(import.meta.url)),
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    handlers: requestsFromThread(() => bound),
  });
  thread.keepAlive(false);
  const { channel } = thread;
  channel.onTell('token.invalidate', () => bound?.tokenProvider.invalidate?.());
  channel.onTell('log', (payload) => {
    const record = payload as {
      scopes: string[];
      level: 'debug' | 'info' | 'warn' | 'error';
      message: string;
      fields?: Record<string, unknown>;
    };
    const scoped = record.scopes.reduce<Logger>(
      (log, scope) => log.child(scope),
      bound?.logger ?? logger,
    );
    scoped[record.level](record.message, record.fields);
  });
  let state: 'waiting' | 'taken' | 'ended' = 'waiting';
  thread.onExit(() => {
    if (state === 'waiting') state = 'ended';
  });
  return {
    ready: async () => {
      // Awaited, the thread keeps the process alive until it answers.
      thread.keepAlive(true);
      try {
        await channel.call('ready');
      } finally {
        if (state === 'waiting') thread.keepAlive(false);
      }
    },
    usable: () => state === 'waiting',
    open: (options) => {
      if (state !== 'waiting') {
        return Promise.reject(new Error('this workspace thread was already used or has ended'));
      }
      state = 'taken';
      bound = {
        secrets: storeSecretsOnly(options.keychain, options.userId),
        tokenProvider: options.tokenProvider,
        logger: options.logger,
      };
      thread.keepAlive(true);
      return openInThread(thread, options);
    },
    discard: async () => {
      if (state !== 'waiting') return;
      state = 'ended';
      await thread.terminate();
    },
  };
}

/** Opens the person's workspace in a new thread (or in `launched`, started earlier). */
export function openWorkspaceThread(
  options: WorkspaceThreadOptions,
  launched: WorkspaceThreadLaunch = launchWorkspaceThread(options.logger),
): Promise<OpenWorkspace> {
  return launched.open(options);
}

async function openInThread(
  thread: StartedWorker,
  options: WorkspaceThreadOptions,
): Promise<OpenWorkspace> {
  const { logger, userId } = options;
  const settings: WorkspaceThreadSettings = {
    dataDir: options.dataDir,
    brokerUrl: options.brokerUrl,
    userId,
    ...(options.deviceId ? { deviceId: options.deviceId } : {}),
    deviceHeaders: options.deviceHeaders ?? {},
    ceiling: options.ceiling,
    sync: options.sync ?? {},
  };
  const { channel } = thread;
  channel.onTell('briefings-changed', (ids) => options.onBriefingsChanged(ids as string[]));
  let pending = 0;
  channel.onTell('search-changed', (count) => {
    pending = count as number;
    options.onSearchChanged?.(pending);
  });
  channel.onTell('wipe-ordered', (confirmation) =>
    options.onWipeOrdered?.(confirmation as string | null),
  );

  let closing = false;
  const goneListeners: ((error: Error) => void)[] = [];
  thread.onExit((code) => {
    if (closing) return;
    const gone = new ThreadGoneError(`the workspace thread ended (exit ${code})`);
    logger.error('the workspace thread ended', { code });
    for (const listener of goneListeners) listener(gone);
  });

  let status: SyncStatus;
  let location: string;
  try {
    ({ location, status } = await channel.call<{ location: string; status: SyncStatus }>(
      'open',
      settings,
    ));
  } catch (error) {
    closing = true;
    await thread.terminate();
    throw rebuildError(error);
  }
  const statusListeners = new Set<(status: SyncStatus) => void>();
  channel.onTell('sync-status', (next) => {
    status = next as SyncStatus;
    for (const listener of statusListeners) listener(status);
  });

  const syncCalls = remote<Pick<SyncService, 'syncNow' | 'sendPending' | 'stop'>>(channel, 'sync');
  const sync: SyncService = {
    ...syncCalls,
    start: () =>
      void channel
        .call('sync.start')
        .catch((error: unknown) => logger.error('could not start sync', errorFields(error))),
    status: () => status,
    onStatus: (listener) => {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
  };
  const searchCalls = remote<Pick<SearchService, 'query' | 'indexNotes' | 'idle'>>(
    channel,
    'search',
  );
  const closeAll = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    try {
      await channel.call('close');
    } finally {
      await thread.terminate();
    }
  };
  return {
    userId,
    location,
    briefings: {
      ...remote<Omit<BriefingsService, 'close'>>(channel, 'briefings'),
      close: () => Promise.resolve(),
    },
    annotations: remote<AnnotationsService>(channel, 'annotations'),
    sync,
    search: { ...searchCalls, pending: () => pending, close: () => Promise.resolve() },
    close: closeAll,
    onGone: (listener) => goneListeners.push(listener),
  };
}
