// A few rounds of the first-sync soak (tests/soak, `npm run test:soak` runs 20): a device
// process killed with SIGKILL mid-sync resumes from its checkpoint and ends complete and sound.
import { describe, expect, it } from 'vitest';
import { runFirstSyncSoak } from '../../soak/first-sync-soak.js';

describe('a first sync killed at random points', () => {
  it('resumes after each SIGKILL and ends complete, every revision and attachment intact', async () => {
    // Kills within 250 ms of the first checkpoint: on a fast, quiet machine the whole first sync
    // of 1,500 can end within the soak's usual 1.5 s, and a kill after the end proves nothing.
    const result = await runFirstSyncSoak({ rounds: 3, briefings: 1_500, maxKillDelayMs: 250 });
    expect(result.killedMidSync).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
