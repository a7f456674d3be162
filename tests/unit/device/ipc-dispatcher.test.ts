import { describe, expect, it, vi } from 'vitest';
import type { IpcHandlers } from '../../../src/main/ipc/handlers.js';
import { createIpcHandlers } from '../../../src/main/ipc/handlers.js';
import { IPC_ERROR_CODES, createIpcDispatcher } from '../../../src/main/ipc/dispatcher.js';
import type { BriefingsService } from '../../../src/main/briefings/briefings-service.js';
import { IPC_CHANNELS } from '../../../src/shared/ipc.js';
import { BRIEFING_NOT_FOUND } from '../../../src/main/briefings/briefings-service.js';
import { AppError } from '../../../src/shared/app-error.js';
import type { SignOutOutcome } from '../../../src/shared/ipc.js';
import { memoryLogger } from './fixtures.js';

const STATUS = {
  state: 'up-to-date',
  lastSyncedAt: null,
  pendingUploads: 0,
  message: null,
} as const;

function setup(
  overrides: Partial<BriefingsService> = {},
  signOut: () => Promise<SignOutOutcome> = () => Promise.resolve({ outcome: 'signed-out' }),
) {
  const briefings: BriefingsService = {
    list: vi.fn(() => Promise.resolve([])),
    page: vi.fn(() => Promise.resolve({ items: [], total: 0, unread: 0 })),
    summaries: vi.fn(() => Promise.resolve({ items: [], total: 0, unread: 0 })),
    get: vi.fn(() => Promise.resolve(null)),
    attachment: vi.fn(() => Promise.resolve(null)),
    markRead: vi.fn(() => Promise.resolve('marked' as const)),
    close: vi.fn(() => Promise.resolve()),
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
      signOut: vi.fn(signOut),
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
    ['a page larger than 500', 'briefings:list', { limit: 501 }, 'limit'],
    ['a negative offset', 'briefings:list', { offset: -1 }, 'offset'],
    ['more than 500 ids', 'briefings:summaries', { ids: Array(501).fill('briefing:1') }, 'ids'],
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
        briefings.page,
        briefings.get,
        briefings.attachment,
        briefings.markRead,
        sync.syncNow,
      ]) {
        expect(fn).not.toHaveBeenCalled();
      }
    },
  );

  it('lists a page: the first 50 unless the reader asks for others', async () => {
    const { dispatch, briefings } = setup();
    await dispatch('briefings:list', {});
    await dispatch('briefings:list', { offset: 50, limit: 100 });
    expect(vi.mocked(briefings.page).mock.calls).toEqual([
      [0, 50],
      [50, 100],
    ]);
    expect(briefings.list).not.toHaveBeenCalled();
    await dispatch('briefings:summaries', { ids: ['briefing:1', 'briefing:2'] });
    expect(briefings.summaries).toHaveBeenCalledWith(['briefing:1', 'briefing:2']);
  });

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
      page: () =>
        Promise.reject(new Error('LevelDB exploded at /secret/path with Bearer abc.def.ghi')),
    });
    const result = await dispatch('briefings:list', {});
    expect(result).toMatchObject({ ok: false, error: { code: IPC_ERROR_CODES.internal } });
    if (!result.ok) expect(result.error.message).not.toContain('LevelDB');
    const logged = log.records.find((r) => r.message === 'request failed');
    expect(JSON.stringify(logged?.fields)).not.toContain('abc.def.ghi');
  });

  it('hands an AppError to the reader as it was thrown: its code and its advice, never its cause', async () => {
    const advice =
      'You are signed out, but the copy of your briefings on this device could not be erased. Make sure the system keychain is unlocked and sign out again, or ask IT support.';
    const { dispatch, log } = setup({}, () =>
      Promise.reject(
        new AppError('sign-out-erase-failed', advice, {
          cause: new Error('keychain at /run/user/0/keyring refused: Bearer abc.def.ghi'),
          expected: false,
        }),
      ),
    );
    const result = await dispatch('session:sign-out', {});
    expect(result).toEqual({
      ok: false,
      error: { code: 'sign-out-erase-failed', message: advice },
    });
    // Not expected: logged as a failure with its code, the cause redacted by the logger.
    const logged = log.records.find((r) => r.message === 'request failed');
    expect(logged?.level).toBe('error');
    expect(logged?.fields).toMatchObject({
      channel: 'session:sign-out',
      code: 'sign-out-erase-failed',
    });
    expect(JSON.stringify(log.records)).not.toContain('abc.def.ghi');
  });

  it('logs an expected AppError as a refusal, not as a failure', async () => {
    const { dispatch, log } = setup({
      page: () => Promise.reject(new AppError('store-key-missing', 'Restore the keychain.')),
    });
    expect(await dispatch('briefings:list', {})).toEqual({
      ok: false,
      error: { code: 'store-key-missing', message: 'Restore the keychain.' },
    });
    expect(log.records.find((r) => r.message === 'request refused')?.level).toBe('warn');
    expect(log.records.some((r) => r.message === 'request failed')).toBe(false);
  });

  it('tells the reader a briefing is gone when it marks one the device no longer holds', async () => {
    const { dispatch } = setup({ markRead: () => Promise.resolve('not-found' as const) });
    expect(await dispatch('briefings:mark-read', { id: 'briefing:gone' })).toEqual({
      ok: false,
      error: BRIEFING_NOT_FOUND,
    });
  });

  it('has a handler for every channel of the contract', () => {
    const { dispatch } = setup();
    expect(IPC_CHANNELS.length).toBeGreaterThan(0);
    return Promise.all(
      IPC_CHANNELS.map(async (channel) => {
        const result = await dispatch(channel, {});
        // Either a value, a schema rejection, or (device services on their own) a managed
        // channel saying it is not available here: never "unknown channel".
        if (!result.ok) {
          expect([IPC_ERROR_CODES.invalidRequest, 'not-available']).toContain(result.error.code);
        }
      }),
    );
  });
});
