import { describe, expect, it } from 'vitest';
import type { DirectionState, SyncModel } from '../../../src/main/sync/status.js';
import { INITIAL_MODEL, deriveStatus, failureForStatus } from '../../../src/main/sync/status.js';

const dir = (
  phase: DirectionState['phase'],
  failure: DirectionState['failure'] = null,
): DirectionState => ({
  phase,
  failure,
  message: null,
});
const model = (patch: Partial<SyncModel>): SyncModel => ({ ...INITIAL_MODEL, ...patch });

describe('sync status', () => {
  it('is up to date only when both directions have caught up', () => {
    expect(deriveStatus(model({ pull: dir('caught-up'), push: dir('caught-up') })).state).toBe(
      'up-to-date',
    );
    expect(deriveStatus(model({ pull: dir('caught-up'), push: dir('connecting') })).state).toBe(
      'connecting',
    );
    expect(deriveStatus(model({ pull: dir('active'), push: dir('caught-up') })).state).toBe(
      'syncing',
    );
  });

  it('says offline (with an explanation) when a direction cannot reach the server', () => {
    const status = deriveStatus(model({ pull: dir('failing', 'offline'), push: dir('caught-up') }));
    expect(status.state).toBe('offline');
    expect(status.message).toMatch(/cannot be reached/);
  });

  it('puts sign-in before offline, and offline before a server error', () => {
    expect(
      deriveStatus(
        model({ pull: dir('failing', 'offline'), push: dir('failing', 'sign-in-needed') }),
      ).state,
    ).toBe('sign-in-needed');
    expect(
      deriveStatus(model({ pull: dir('failing', 'error'), push: dir('failing', 'offline') })).state,
    ).toBe('offline');
    expect(deriveStatus(model({ signInNeeded: true })).state).toBe('sign-in-needed');
  });

  it('is offline before sync has started and carries last-synced time and pending uploads through', () => {
    const status = deriveStatus(
      model({ lastSyncedAt: '2025-01-01T00:00:00.000Z', pendingUploads: 3 }),
    );
    expect(status).toMatchObject({
      state: 'offline',
      lastSyncedAt: '2025-01-01T00:00:00.000Z',
      pendingUploads: 3,
    });
  });

  it('classifies broker answers', () => {
    expect(failureForStatus(200)).toBeNull();
    expect(failureForStatus(401)).toBe('sign-in-needed');
    expect(failureForStatus(403)).toBe('error');
    expect(failureForStatus(503)).toBe('offline');
    expect(failureForStatus(500)).toBe('error');
  });
});
