import { describe, expect, it } from 'vitest';
import { SYNC_STATES, type SyncStatus } from '../../../src/shared/ipc.js';
import { describeSync } from '../../../src/renderer/src/sync/sync-wording.js';

const now = Date.parse('2025-11-22T09:00:00Z');
const status = (overrides: Partial<SyncStatus>): SyncStatus => ({
  state: 'up-to-date',
  lastSyncedAt: '2025-11-22T08:57:00Z',
  pendingUploads: 0,
  message: null,
  ...overrides,
});
const options = { locale: 'en-AU', timeZone: 'Australia/Sydney' };

describe('sync status wording', () => {
  it.each([...SYNC_STATES])('has a label for "%s"', (state) => {
    expect(describeSync(status({ state }), now, options).label).not.toBe('');
  });

  it('gives each state its own label', () => {
    const labels = SYNC_STATES.map((state) => describeSync(status({ state }), now, options).label);
    expect(new Set(labels).size).toBe(SYNC_STATES.length);
  });

  it('says when the device last synced, in words and exactly', () => {
    const wording = describeSync(status({}), now, options);
    expect(wording.lastSynced).toBe('Synced 3 minutes ago');
    expect(wording.lastSyncedExact).toMatch(/Saturday,? 22 November 2025.*7:57/);
  });

  it('says so when the device has never synced', () => {
    const wording = describeSync(status({ state: 'offline', lastSyncedAt: null }), now, options);
    expect(wording.lastSynced).toBe('Never synced on this device');
    expect(wording.lastSyncedExact).toBeNull();
  });

  it('counts pending uploads, in the singular and the plural, and stays quiet about none', () => {
    expect(describeSync(status({ pendingUploads: 1 }), now, options).pending).toBe(
      '1 change waiting to upload',
    );
    expect(describeSync(status({ pendingUploads: 12 }), now, options).pending).toBe(
      '12 changes waiting to upload',
    );
    expect(describeSync(status({ pendingUploads: 0 }), now, options).pending).toBeNull();
  });

  it('carries the explanation of an error into the summary', () => {
    const wording = describeSync(
      status({ state: 'error', message: 'The sync server refused the connection' }),
      now,
      options,
    );
    expect(wording.tone).toBe('danger');
    expect(wording.summary).toBe(
      'Sync problem. The sync server refused the connection. Last good sync 3 minutes ago.',
    );
  });

  it('shows the reason of a problem beside it, never "Synced just now"', () => {
    const wording = describeSync(
      status({
        state: 'error',
        lastSyncedAt: '2025-11-22T08:59:58Z',
        message:
          'Attaché’s reader was restarted, so this address no longer works. Open the new address printed in the terminal.',
      }),
      now,
      options,
    );
    expect(wording.detail).toBe(
      'Attaché’s reader was restarted, so this address no longer works. Open the new address printed in the terminal',
    );
    expect(wording.problem).toBe(
      'Attaché’s reader was restarted, so this address no longer works. Open the new address printed in the terminal.',
    );
    expect(wording.lastSynced).toBe('Last good sync just now');
    expect(`${wording.label} ${wording.detail} ${wording.summary}`).not.toMatch(
      /\bSynced just now/,
    );
    // When all is well there is no problem to show, and the detail is when it last synced.
    const fine = describeSync(status({}), now, options);
    expect(fine.problem).toBeNull();
    expect(fine.detail).toBe('Synced 3 minutes ago');
  });
});

describe('sync status sentences', () => {
  it('does not double the full stop of a message that already has one', () => {
    const wording = describeSync(
      status({
        state: 'offline',
        message: 'The briefing server cannot be reached. Sync resumes by itself.',
      }),
      now,
      options,
    );
    expect(wording.summary).toBe(
      'Offline. The briefing server cannot be reached. Sync resumes by itself. Synced 3 minutes ago.',
    );
  });
});
