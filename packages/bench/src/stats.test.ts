import { describe, expect, it } from 'vitest';
import { median, medianInterval, percentile } from './stats.js';

describe('stats', () => {
  it('takes the median of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
  it('takes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
  });
  it('brackets the median with order statistics about √n apart', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    // n = 100: ranks round(40.2) and round(60.8), the 40th and the 61st values.
    expect(medianInterval(values)).toEqual([40, 61]);
    expect(medianInterval([5])).toEqual([5, 5]);
    expect(medianInterval([])).toEqual([Number.NaN, Number.NaN]);
  });
});
