// The thread the person's workspace runs in (session/workspace-thread.ts starts it): the store,
// sync, the summary and search indexes. A first sync decodes and writes megabytes a second,
// and the garbage it leaves is collected in this thread's own heap, never stopping the main
// thread, which keeps the windows and the reader's requests. What only the main thread holds
// (the keychain, the access token, the log, the reader's events) is asked of it over the
// channel; nothing here touches a window or the keychain directly.
//
// The thread starts before anyone's workspace is known (at the app's launch, so that its
// modules load while the window does) and learns whose workspace to open with the `open` call.
import { parentPort } from 'node:worker_threads';
import type { Classification } from '../../shared/briefing.js';
import type { Logger } from '../logging/logger.js';
import { logUnhandledRejections } from '../logging/unhandled-rejections.js';
import { storeCeiling } from '../policy/store-ceiling.js';
import type { Keychain, SecretName } from '../secrets/types.js';
import { KeychainError } from '../secrets/types.js';
import type { SyncServiceOptions } from '../sync/sync-service.js';
import type { Handlers } from '../threads/channel.js';
import { ThreadCallError, openChannel } from '../threads/channel.js';
import type { UserWorkspace } from './user-workspace.js';
import { openUserWorkspace } from './user-workspace.js';
import { WORKSPACE_CALLS } from './workspace-calls.js';

/** What the main thread gives the workspace to open with (the `open` call): plain values only. */
export type WorkspaceThreadSettings = {
  readonly dataDir: string;
  readonly brokerUrl: string;
  readonly userId: string;
  /** Absent in tests: the workspace then stands a random one in. */
  readonly deviceId?: string;
  readonly deviceHeaders: Readonly<Record<string, string>>;
  readonly ceiling: Classification | null;
  readonly sync: Pick<SyncServiceOptions, 'backOff' | 'signInRetryMs' | 'purgeFallbackMs'>;
};

const port = parentPort;
if (!port) throw new Error('workspace-worker runs only as a worker thread');
let workspace: UserWorkspace | null = null;
/** Set by the first `open`: one thread serves one person's workspace, once. */
let claimed = false;

const opened = (): UserWorkspace => {
  if (!workspace) throw new Error('the workspace is not open');
  return workspace;
};

/** The reader's calls, each to the one service and method named in WORKSPACE_CALLS. */
const serviceCalls: Record<string, (...args: never[]) => unknown> = {};
for (const [service, methods] of Object.entries(WORKSPACE_CALLS)) {
  for (const method of methods) {
    serviceCalls[`${service}.${method}`] = (...args: never[]) => {
      const target = opened()[service as keyof typeof WORKSPACE_CALLS] as unknown as Record<
        string,
        (...a: never[]) => unknown
      >;
      return target[method]!(...args);
    };
  }
}

const handlers: Handlers = {
  ...serviceCalls,
  // Answered once this module and everything it imports has loaded.
  ready: () => true,
  open: async (settings: WorkspaceThreadSettings) => {
    if (claimed) throw new Error('this workspace thread has already opened a workspace');
    claimed = true;
    workspace = await openUserWorkspace({
      dataDir: settings.dataDir,
      brokerUrl: settings.brokerUrl,
      userId: settings.userId,
      ...(settings.deviceId ? { deviceId: settings.deviceId } : {}),
      deviceHeaders: settings.deviceHeaders,
      keychain,
      tokenProvider: {
        getAccessToken: () => channel.call<string | null>('token.get'),
        invalidate: () => channel.tell('token.invalidate'),
      },
      logger: threadLogger([]),
      sync: settings.sync,
      ceiling: settings.ceiling === null ? null : storeCeiling(settings.ceiling, threadLogger([])),
      onBriefingsChanged: (ids) => channel.tell('briefings-changed', ids),
      onSearchChanged: (pending) => channel.tell('search-changed', pending),
      onWipeOrdered: (confirmation) => channel.tell('wipe-ordered', confirmation),
    });
    workspace.sync.onStatus((status) => channel.tell('sync-status', status));
    return { location: workspace.store.location, status: workspace.sync.status() };
  },
  'sync.start': () => opened().sync.start(),
  close: async () => {
    const closing = workspace;
    workspace = null;
    await closing?.close();
  },
};

const channel = openChannel(port, handlers);
// As in the main thread: a library's stray rejection is logged, not the end of the workspace.
logUnhandledRejections(threadLogger(['workspace']));

/** A keychain error keeps its kind across the thread: the store's open tells it apart. */
const keychainCall = async <T>(method: string, ...args: unknown[]): Promise<T> => {
  try {
    return await channel.call<T>(method, ...args);
  } catch (error) {
    if (error instanceof ThreadCallError && error.name === 'KeychainError') {
      throw new KeychainError(error.message);
    }
    throw error;
  }
};

const keychain: Keychain = {
  get: (name: SecretName) => keychainCall<string | null>('keychain.get', name),
  set: (name: SecretName, value: string) => keychainCall<void>('keychain.set', name, value),
  delete: (name: SecretName) => keychainCall<void>('keychain.delete', name),
};

/** Log records go to the main thread's logger, under the same scopes. */
function threadLogger(scopes: readonly string[]): Logger {
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>) =>
      channel.tell('log', { scopes, level, message, fields });
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (scope) => threadLogger([...scopes, scope]),
  };
}
