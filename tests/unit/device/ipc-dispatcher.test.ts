import { describe, expect, it, vi } from 'vitest';
import type { IpcHandlers } from '../../../src/main/ipc/handlers.js';
import { createIpcHandlers } from '../../../src/main/ipc/handlers.js';
import { IPC_ERROR_CODES, createIpcDispatcher } from '../../../src/main/ipc/dispatcher.js';
import type { BriefingsService } from '../../../src/main/briefings/briefings-service.js';
import { IPC_CHANNELS } from '../../../src/shared/ipc.js';
import { ok } from '../../../src/shared/result.js';
import { memoryLogger } from './fixtures.js';

const STATUS = {
  state: 'up-to-date',
  lastSyncedAt: null,
  pendingUploads: 0,
  message: null,
} as const;

function setup(overrides: Partial<BriefingsService> = {}) {
  const briefings: BriefingsService = {
    list: vi.fn(() => Promise.resolve([])),
    get: vi.fn(() => Promise.resolve(null)),
    attachment: vi.fn(() => Promise.resolve(null)),
    markRead: vi.fn(() => Promise.resolve(ok(null))),
    ...overrides,
  };
  const sync = { status: () => STATUS, syncNow: vi.fn(() => Promise.resolve()) };
  const handlers: IpcHandlers = createIpcHandlers({
    briefings: () => briefings,
    annotations: () => null,
    sync,
    session: {
      info: () => ({
        state: 'signed-in',
        user: { id: 'alex.morgan', displayName: 'Alex Morgan' },
        serverUrl: 'http://x',
        appVersion: '1',
        signInNeeded: false,
        offlineAccessUntil: null,
        lockReason: null,
        signedOutReason: null,
        signIn: { phase: 'idle' },
      }),
      signIn: vi.fn(),
      cancelSignIn: vi.fn(),
      signOut: vi.fn(() => Promise.resolve({ outcome: 'signed-out' as const })),
    },
  });
  const log = memoryLogger();
  return { briefings, sync, dispatch: createIpcDispatcher(handlers, log.logger), log };
}

describe('IPC dispatcher', () => {
  it('answers a well-formed request with the handler result', async () => {
    const { dispatch, briefings } = setup();
    expect(await dispatch('briefings:get', { id: 'briefing:1' })).toEqual({
      ok: true,
      value: null,
    });
    expect(briefings.get).toHaveBeenCalledWith('briefing:1');
    expect(await dispatch('sync:status', {})).toEqual({ ok: true, value: STATUS });
  });

  it.each([
    ['an extra key', 'briefings:get', { id: 'briefing:1', admin: true }, 'admin'],
    ['a wrong type', 'briefings:get', { id: 42 }, 'id'],
    ['a missing field', 'briefings:attachment', { id: 'briefing:1' }, 'name'],
    ['an empty id', 'briefings:mark-read', { id: '' }, 'id'],
    ['an oversized id', 'briefings:get', { id: 'x'.repeat(600) }, 'id'],
    ['a non-object', 'briefings:list', 'please', 'request'],
    ['null', 'sync:now', null, 'request'],
    ['an extra key on an empty request', 'session:get', { token: 'x' }, 'token'],
  ])(
    'rejects %s with a clear error and never calls the handler',
    async (_label, channel, request, mentioned) => {
      const { dispatch, briefings, sync } = setup();
      const result = await dispatch(channel, request);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe(IPC_ERROR_CODES.invalidRequest);
      expect(result.error.message).toContain(channel);
      expect(result.error.message).toContain(mentioned);
      for (const fn of [
        briefings.list,
        briefings.get,
        briefings.attachment,
        briefings.markRead,
        sync.syncNow,
      ]) {
        expect(fn).not.toHaveBeenCalled();
      }
    },
  );

  it.each(['briefings:delete', '__proto__', 'constructor', 'toString', ''])(
    'rejects the unknown channel %j',
    async (channel) => {
      const { dispatch } = setup();
      const result = await dispatch(channel, {});
      expect(result).toMatchObject({ ok: false, error: { code: IPC_ERROR_CODES.unknownChannel } });
    },
  );

  it('turns a throwing handler into an internal-error Result without leaking the exception', async () => {
    const { dispatch, log } = setup({
      list: () =>
        Promise.reject(new Error('LevelDB exploded at /secret/path with Bearer abc.def.ghi')),
    });
    const result = await dispatch('briefings:list', {});
    expect(result).toMatchObject({ ok: false, error: { code: IPC_ERROR_CODES.internal } });
    if (!result.ok) expect(result.error.message).not.toContain('LevelDB');
    const logged = log.records.find((r) => r.message === 'request failed');
    expect(JSON.stringify(logged?.fields)).not.toContain('abc.def.ghi');
  });

  it('has a handler for every channel of the contract', () => {
    const { dispatch } = setup();
    expect(IPC_CHANNELS.length).toBeGreaterThan(0);
    return Promise.all(
      IPC_CHANNELS.map(async (channel) => {
        const result = await dispatch(channel, {});
        // Either a value, or a schema rejection: never "unknown channel".
        if (!result.ok) expect(result.error.code).toBe(IPC_ERROR_CODES.invalidRequest);
      }),
    );
  });
});
