import { describe, expect, it } from 'vitest';
import { renderRotation, runRotation } from './rotation.js';

describe('npm run bench:faults -- --mode=rotation (smoke)', () => {
  // Real time, shortened: one renewal of a 3 s token (due at 2 s). Correctness only, never timing.
  it('renews a token on the live connection with nothing dropped and no call failed', { timeout: 30_000 }, async () => {
    const result = await runRotation({ durationMs: 2_600 });
    expect(result.tokens).toBeGreaterThanOrEqual(2);
    expect(result.refused).toBe(0);
    expect(result.closes).toEqual([]);
    expect(result.subscriptionErrors).toEqual([]);
    expect(result.calls.failed).toEqual({});
    expect(result.calls.ok).toBe(result.calls.started);
    expect(result.events.published).toBeGreaterThan(0);
    expect(result.events).toMatchObject({ received: result.events.published, lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(renderRotation(result)).toContain('| 3 s |');
  });
});
