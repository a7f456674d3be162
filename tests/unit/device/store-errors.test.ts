import { describe, expect, it } from 'vitest';
import type { BriefingsService } from '../../../src/main/briefings/briefings-service.js';
import { createIpcDispatcher } from '../../../src/main/ipc/dispatcher.js';
import { createIpcHandlers } from '../../../src/main/ipc/handlers.js';
import { storeFailureStatus } from '../../../src/main/session/session-info.js';
import { StoreIntegrityError, StoreLockedError } from '../../../src/main/storage/types.js';
import { memoryLogger } from './fixtures.js';

function dispatcherWith(briefings: () => BriefingsService | null) {
  return createIpcDispatcher(
    createIpcHandlers({
      briefings,
      annotations: () => null,
      sync: {
        status: () => ({ state: 'offline', lastSyncedAt: null, pendingUploads: 0, message: null }),
        syncNow: () => Promise.resolve(),
      },
      session: {
        info: () => {
          throw new Error('not used');
        },
        signIn: () => undefined,
        cancelSignIn: () => undefined,
        signOut: () => Promise.resolve({ outcome: 'signed-out' as const }),
      },
    }),
    memoryLogger().logger,
  );
}

describe('store errors reach the reader with their code and advice', () => {
  it('when the store could not be decrypted, every briefing request says why and what is at stake', async () => {
    const locked = new StoreLockedError('store-key-missing', 3);
    const dispatch = dispatcherWith(() => {
      throw locked;
    });
    expect(await dispatch('briefings:list', {})).toEqual({
      ok: false,
      error: { code: 'store-key-missing', message: locked.message },
    });
    expect(locked.message).toMatch(/3 read receipts or notes written on this device/);
    expect(storeFailureStatus(locked)).toEqual({
      state: 'error',
      lastSyncedAt: null,
      pendingUploads: 3,
      message: locked.message,
    });
  });

  it('when a stored value fails authentication, the request fails with store-integrity', async () => {
    const failure = new StoreIntegrityError('briefings', 'failed its integrity check');
    const briefings: BriefingsService = {
      list: () => Promise.reject(failure),
      page: () => Promise.reject(failure),
      summaries: () => Promise.reject(failure),
      get: () => Promise.reject(failure),
      attachment: () => Promise.reject(failure),
      markRead: () => Promise.reject(failure),
      close: () => Promise.resolve(),
    };
    const dispatch = dispatcherWith(() => briefings);
    expect(await dispatch('briefings:get', { id: 'briefing:BRF-000001' })).toEqual({
      ok: false,
      error: { code: 'store-integrity', message: failure.message },
    });
  });

  it('any other failure stays an internal error, without its details', async () => {
    const dispatch = dispatcherWith(() => {
      throw new Error('/home/alex/.config/Attaché/users/616c6578 is busy');
    });
    const result = await dispatch('briefings:list', {});
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('internal-error');
      expect(result.error.message).not.toContain('/home/alex');
    }
  });
});
