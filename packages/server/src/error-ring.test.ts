import { describe, expect, it } from 'vitest';
import { ErrorRing } from './error-ring.js';

describe('ErrorRing', () => {
  it('keeps the newest items up to its capacity, newest first', () => {
    const ring = new ErrorRing<number>(3);
    expect(ring.newestFirst()).toEqual([]);
    ring.push(1);
    ring.push(2);
    expect(ring.newestFirst()).toEqual([2, 1]);
    for (const n of [3, 4, 5, 6, 7]) ring.push(n);
    expect(ring.newestFirst()).toEqual([7, 6, 5]);
    expect(ring.size).toBe(3);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new ErrorRing(0)).toThrow(RangeError);
    expect(() => new ErrorRing(1.5)).toThrow(/positive integer/);
  });
});
