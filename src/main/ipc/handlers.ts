// One handler per IPC channel. Each receives an already validated request and answers with a
// Result; the dispatcher guarantees validation and that nothing throws past it.
import type { IpcChannel, IpcRequests, IpcResponses, SessionInfo } from '../../shared/ipc.js';
import type { Result } from '../../shared/result.js';
import { ok } from '../../shared/result.js';
import type { BriefingsService } from '../briefings/briefings-service.js';
import type { SyncService } from '../sync/types.js';

export type IpcHandler<C extends IpcChannel> = (
  request: IpcRequests[C],
) => Promise<Result<IpcResponses[C]>>;
export type IpcHandlers = { readonly [C in IpcChannel]: IpcHandler<C> };

/** Each handler gets only the narrow dependency it needs. */
export type IpcHandlerDeps = {
  readonly briefings: BriefingsService;
  readonly sync: Pick<SyncService, 'status' | 'syncNow'>;
  readonly session: () => SessionInfo;
};

export function createIpcHandlers(deps: IpcHandlerDeps): IpcHandlers {
  const { briefings, sync } = deps;
  return {
    'briefings:list': async () => ok(await briefings.list()),
    'briefings:get': async ({ id }) => ok(await briefings.get(id)),
    'briefings:attachment': async ({ id, name }) => ok(await briefings.attachment(id, name)),
    'briefings:mark-read': ({ id }) => briefings.markRead(id),
    'sync:status': () => Promise.resolve(ok(sync.status())),
    'sync:now': async () => {
      await sync.syncNow();
      return ok(null);
    },
    'session:get': () => Promise.resolve(ok(deps.session())),
  };
}
