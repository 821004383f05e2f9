/** Reconnect options; `reconnect: false` turns reconnecting off. */
export interface ReconnectOptions {
  /** Upper bound of the first retry's random delay. @default 200 */
  minDelayMs?: number;
  /** Largest delay between attempts. @default 10_000 */
  maxDelayMs?: number;
  /** Attempts before giving up (state becomes `closed`). @default Infinity */
  maxAttempts?: number;
}

/** The defaults of {@link ReconnectOptions}. */
export const DEFAULT_RECONNECT = { minDelayMs: 200, maxDelayMs: 10_000, maxAttempts: Number.POSITIVE_INFINITY } as const;

/**
 * Exponential backoff with full jitter: attempt n waits a uniform random time in
 * [0, min(maxDelayMs, minDelayMs · 2ⁿ)]. Even the first retry is jittered, so 100 clients cut at
 * once do not all come back in the same instant (the reconnect storm of tRPC and oRPC).
 */
export function backoffDelay(attempt: number, options: Required<ReconnectOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
