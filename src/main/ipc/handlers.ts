// One handler per IPC channel. Each receives an already validated request and answers with a
// Result; the dispatcher guarantees validation and that nothing throws past it.
import type {
  IpcChannel,
  IpcRequests,
  ManagedChannel,
  IpcResponses,
  SessionInfo,
  SignOutOutcome,
  SyncStatus,
} from '../../shared/ipc.js';
import { LIST_PAGE_SIZE } from '../../shared/ipc.js';
import type { Result } from '../../shared/result.js';
import { fail, ok } from '../../shared/result.js';
import type { AnnotationsService } from '../annotations/annotations-service.js';
import type { BriefingsService } from '../briefings/briefings-service.js';
import { BRIEFING_NOT_FOUND } from '../briefings/briefings-service.js';
import type { SearchService } from '../search/search-service.js';
import { SearchIndexError } from '../search/types.js';

export type IpcHandler<C extends IpcChannel> = (
  request: IpcRequests[C],
) => Promise<Result<IpcResponses[C]>>;
export type IpcHandlers = { readonly [C in IpcChannel]: IpcHandler<C> };
/** The device services' own channels; the managed ones (settings, links...) are added around them. */
export type DeviceIpcHandlers = Omit<IpcHandlers, ManagedChannel>;
export type ManagedIpcHandlers = Pick<IpcHandlers, ManagedChannel>;

export const SESSION_ERROR_CODES = {
  signedOut: 'session-signed-out',
} as const;

/** Each handler gets only the narrow dependency it needs. */
export type IpcHandlerDeps = {
  /** The signed-in person's briefings; null while nobody's briefings may be opened. */
  readonly briefings: () => BriefingsService | null;
  /** The signed-in person's search; null while nobody's briefings may be opened. */
  readonly search?: () => SearchService | null;
  /** The same person's annotations; there whenever `briefings` is. */
  readonly annotations: () => AnnotationsService | null;
  readonly sync: { readonly status: () => SyncStatus; readonly syncNow: () => Promise<void> };
  readonly session: {
    readonly info: () => SessionInfo;
    readonly signIn: () => void;
    readonly cancelSignIn: () => void;
    readonly signOut: (options: { readonly discardUnsent: boolean }) => Promise<SignOutOutcome>;
  };
  /** Adds the managed channels around these (null: they answer "not available"). */
  readonly extend?: (handlers: DeviceIpcHandlers) => IpcHandlers | null;
};

export function createIpcHandlers(deps: IpcHandlerDeps): IpcHandlers {
  const { sync, session } = deps;
  // The reader shows the sign-in screen in these states and does not ask; a stale call (a
  // request in flight at sign-out) gets a plain answer, never another person's briefings.
  // A store that cannot be decrypted or fails authentication throws an AppError (StoreLockedError,
  // StoreIntegrityError): the dispatcher passes its code and advice through.
  const withBriefings = async <T>(
    use: (briefings: BriefingsService) => Promise<Result<T>>,
  ): Promise<Result<T>> => {
    const briefings = deps.briefings();
    if (!briefings) {
      return fail(SESSION_ERROR_CODES.signedOut, 'Sign in to open your briefings.');
    }
    return use(briefings);
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
  const handlers: DeviceIpcHandlers = {
    'briefings:list': ({ offset, limit }) =>
      withBriefings(async (b) => ok(await b.page(offset ?? 0, limit ?? LIST_PAGE_SIZE))),
    'briefings:summaries': ({ ids }) => withBriefings(async (b) => ok(await b.summaries(ids))),
    'briefings:get': ({ id }) => withBriefings(async (b) => ok(await b.get(id))),
    'briefings:attachment': ({ id, name }) =>
      withBriefings(async (b) => ok(await b.attachment(id, name))),
    'briefings:mark-read': ({ id }) =>
      withBriefings(async (b) =>
        (await b.markRead(id)) === 'not-found'
          ? fail(BRIEFING_NOT_FOUND.code, BRIEFING_NOT_FOUND.message)
          : ok(null),
      ),
    'annotations:list': ({ briefingId }) =>
      withAnnotations(async (a) => ok(await a.list(briefingId))),
    'annotations:save': (change) => withAnnotations((a) => a.save(change)),
    'annotations:version': ({ briefingId, sourceVersion }) =>
      withAnnotations(async (a) => ok(await a.versionText(briefingId, sourceVersion))),
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
    'search:query': async (request) => {
      try {
        const search = deps.search?.() ?? null;
        if (!search)
          return fail(SESSION_ERROR_CODES.signedOut, 'Sign in to search your briefings.');
        return ok(await search.query(request));
      } catch (error) {
        if (error instanceof SearchIndexError) return fail(error.code, error.message);
        throw error;
      }
    },
  };
  return deps.extend?.(handlers) ?? withoutManagedHandlers(handlers);
}

/** Where nothing provides the managed channels (device services on their own, in tests). */
export function withoutManagedHandlers(handlers: DeviceIpcHandlers): IpcHandlers {
  const absent = () =>
    Promise.resolve(fail<never>('not-available', 'This Attaché build does not offer that.'));
  return {
    ...handlers,
    'config:get': absent,
    'settings:set': absent,
    'reader:shown': absent,
    'links:check': absent,
    'links:open': absent,
    'diagnostics:export': absent,
  };
}
