import { describe, expect, it } from 'vitest';
import { seeded } from '@duplex/test-utils';
import { backoffDelay, DEFAULT_RECONNECT } from './backoff.js';

const options = { minDelayMs: 200, maxDelayMs: 10_000, maxAttempts: Number.POSITIVE_INFINITY };

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt up to maxDelayMs (full jitter: random × ceiling)', () => {
    const ceilings = [0, 1, 2, 3, 5, 6, 10, 40].map((attempt) => backoffDelay(attempt, options, () => 0.999_999));
    expect(ceilings).toEqual([199, 399, 799, 1_599, 6_399, 9_999, 9_999, 9_999]);
    expect(backoffDelay(4, options, () => 0)).toBe(0);
    expect(backoffDelay(2, options, () => 0.5)).toBe(400);
  });

  it('documents its defaults', () => {
    expect(DEFAULT_RECONNECT).toEqual({ minDelayMs: 200, maxDelayMs: 10_000, maxAttempts: Number.POSITIVE_INFINITY });
  });

  it('spreads 200 clients cut at once: no 100 ms window holds more than half of them', () => {
    const random = seeded(42);
    const delays = Array.from({ length: 200 }, () => backoffDelay(0, options, random));
    const buckets = [0, 0];
    for (const delay of delays) buckets[Math.floor(delay / 100)]! += 1;
    expect(Math.max(...buckets)).toBeLessThanOrEqual(120);
    expect(Math.min(...buckets)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...delays)).toBeLessThan(200);
  });
});
