/**
 * Per-subscription credit flow control (request-n, protocol.md §7.1): the client grants the
 * server credits, one per event it may send; the server pulls the generator only while it has
 * credit left.
 */

/** Largest credit a `sub.credit` or `credit.n` may carry, and the most one subscription may hold (2^31 − 1). */
export const MAX_CREDIT = 2_147_483_647;

/**
 * Window a client grants each subscription by default: the events the server may send ahead of
 * what the application has consumed.
 */
export const DEFAULT_SUBSCRIPTION_WINDOW = 256;

/**
 * Credit a streamed result starts with when its `call` states none (protocol.md §7.2), and the
 * window a server grants a client stream by default: items, not bytes, so with large chunks
 * (say 64 KiB) one window is about a megabyte in flight.
 */
export const DEFAULT_STREAM_WINDOW = 16;

/**
 * What a subscription does when its reader is slower than its producer:
 * - `'block'`: stop pulling the generator until the reader catches up (nothing is lost);
 * - `'dropOldest'`: keep pulling, hold up to `maxBuffered` events and drop the oldest past that;
 * - `'latest'`: keep pulling, hold only the newest event (presence, cursors, prices).
 */
export type SlowReaderPolicy = 'block' | 'dropOldest' | 'latest';

/** Options of a subscription procedure (`.subscription(handler, options)`). */
export interface SubscriptionProcedureOptions {
  /** What happens when the client reads slower than the generator yields. @default 'block' */
  slowReader?: SlowReaderPolicy | undefined;
  /** With `'dropOldest'`: events held for a slow reader before the oldest is dropped. @default 100 */
  maxBuffered?: number | undefined;
}

/** Default of {@link SubscriptionProcedureOptions.maxBuffered}. */
export const DEFAULT_MAX_BUFFERED_EVENTS = 100;

/** True for an integer credit in `[min, MAX_CREDIT]`. */
export function isCredit(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_CREDIT;
}
