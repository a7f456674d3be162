// A few rounds of the annotations soak (tests/soak, `npm run test:soak` runs 20): a device
// process writing and syncing annotations through the real broker, killed with SIGKILL at random
// points, loses none it reported saved, and duplicates none, on the device, on the server or in
// the SOR.
import { describe, expect, it } from 'vitest';
import { runAnnotationsSoak } from '../../soak/annotations-soak.js';

describe('annotations written while the device process is killed at random points', () => {
  it('finds every annotation reported saved once on the device, on the server and in the SOR', async () => {
    const result = await runAnnotationsSoak({ rounds: 3 });
    expect(result.killedWhileWriting).toBeGreaterThanOrEqual(1);
    expect(result.saved).toBeGreaterThan(0);
  }, 300_000);
});
