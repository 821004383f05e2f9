/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile (`p` in 0..100) of unsorted samples. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/**
 * A distribution-free 95 % confidence interval for the median of `values`: the order statistics
 * of 1-based ranks round(n/2 − 0.98·√n) and round(1 + n/2 + 0.98·√n) (normal approximation of
 * the binomial). Meaningful from about 10 values; with fewer it spans them all.
 */
export function medianInterval(values: readonly number[]): [low: number, high: number] {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [Number.NaN, Number.NaN];
  const half = 0.98 * Math.sqrt(n);
  const low = Math.max(1, Math.round(n / 2 - half));
  const high = Math.min(n, Math.round(1 + n / 2 + half));
  return [sorted[low - 1] as number, sorted[high - 1] as number];
}
