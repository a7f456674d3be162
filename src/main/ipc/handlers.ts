// One handler per IPC channel. Each receives an already validated request and answers with a
// Result; the dispatcher guarantees validation and that nothing throws past it.
import type {
  IpcChannel,
  IpcRequests,
  IpcResponses,
  SessionInfo,
  SignOutOutcome,
  SyncStatus,
} from '../../shared/ipc.js';
import type { Result } from '../../shared/result.js';
import { fail, ok } from '../../shared/result.js';
import type { AnnotationsService } from '../annotations/annotations-service.js';
import type { BriefingsService } from '../briefings/briefings-service.js';
import { StoreIntegrityError, StoreLockedError } from '../storage/types.js';

export type IpcHandler<C extends IpcChannel> = (
  request: IpcRequests[C],
) => Promise<Result<IpcResponses[C]>>;
export type IpcHandlers = { readonly [C in IpcChannel]: IpcHandler<C> };

export const SESSION_ERROR_CODES = {
  signedOut: 'session-signed-out',
} as const;

/** Each handler gets only the narrow dependency it needs. */
export type IpcHandlerDeps = {
  /** The signed-in person's briefings; null while nobody's briefings may be opened. */
  readonly briefings: () => BriefingsService | null;
  /** The same person's annotations; there whenever `briefings` is. */
  readonly annotations: () => AnnotationsService | null;
  readonly sync: { readonly status: () => SyncStatus; readonly syncNow: () => Promise<void> };
  readonly session: {
    readonly info: () => SessionInfo;
    readonly signIn: () => void;
    readonly cancelSignIn: () => void;
    readonly signOut: (options: { readonly discardUnsent: boolean }) => Promise<SignOutOutcome>;
  };
};

export function createIpcHandlers(deps: IpcHandlerDeps): IpcHandlers {
  const { sync, session } = deps;
  // The reader shows the sign-in screen in these states and does not ask; a stale call (a
  // request in flight at sign-out) gets a plain answer, never another person's briefings.
  // A store that cannot be decrypted or fails authentication is the reader's business: its
  // code and advice go through; anything else stays an internal error (dispatcher).
  const withBriefings = async <T>(
    use: (briefings: BriefingsService) => Promise<Result<T>>,
  ): Promise<Result<T>> => {
    try {
      const briefings = deps.briefings();
      if (!briefings) {
        return fail(SESSION_ERROR_CODES.signedOut, 'Sign in to open your briefings.');
      }
      return await use(briefings);
    } catch (error) {
      if (error instanceof StoreLockedError || error instanceof StoreIntegrityError) {
        return fail(error.code, error.message);
      }
      throw error;
    }
  };
  const withAnnotations = <T>(
    use: (annotations: AnnotationsService) => Promise<Result<T>>,
  ): Promise<Result<T>> =>
    withBriefings(() => {
      const annotations = deps.annotations();
      return annotations
        ? use(annotations)
        : Promise.resolve(fail(SESSION_ERROR_CODES.signedOut, 'Sign in to open your briefings.'));
    });
  return {
    'briefings:list': () => withBriefings(async (b) => ok(await b.list())),
    'briefings:get': ({ id }) => withBriefings(async (b) => ok(await b.get(id))),
    'briefings:attachment': ({ id, name }) =>
      withBriefings(async (b) => ok(await b.attachment(id, name))),
    'briefings:mark-read': ({ id }) => withBriefings((b) => b.markRead(id)),
    'annotations:list': ({ briefingId }) =>
      withAnnotations(async (a) => ok(await a.list(briefingId))),
    'annotations:save': (change) => withAnnotations((a) => a.save(change)),
    'sync:status': () => Promise.resolve(ok(sync.status())),
    'sync:now': async () => {
      await sync.syncNow();
      return ok(null);
    },
    'session:get': () => Promise.resolve(ok(session.info())),
    'session:sign-in': () => {
      session.signIn();
      return Promise.resolve(ok(null));
    },
    'session:cancel-sign-in': () => {
      session.cancelSignIn();
      return Promise.resolve(ok(null));
    },
    'session:sign-out': async ({ discardUnsent }) =>
      ok(await session.signOut({ discardUnsent: discardUnsent === true })),
  };
}
