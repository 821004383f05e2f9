import type { Clock, TimerHandle } from '@duplex/core';

/** How long `server.close()` lets calls in flight finish when no `drainMs` is given. */
export const DEFAULT_DRAIN_MS = 10_000;

/** How long a socket has to answer the closing handshake before it is terminated. */
export const CLOSE_GRACE_MS = 1_000;

/** What draining needs from a connection. */
export interface Drainable {
  /** Resolves once no call is running on the connection. */
  callsSettled(): Promise<void>;
}

/**
 * Waits, without polling, until every connection's calls have settled or `drainMs` has passed.
 * Subscriptions do not hold up a drain: clients resume them elsewhere from their last event id.
 */
export async function drainCalls(connections: Iterable<Drainable>, drainMs: number, clock: Clock): Promise<void> {
  if (drainMs <= 0) return;
  const settled = Promise.all([...connections].map((connection) => connection.callsSettled()));
  await withDeadline(settled, drainMs, clock);
}

/** What {@link withDeadline} settles with when the time ran out first. */
export const TIMED_OUT = Symbol('timed out');

/**
 * Settles like `value`, or with {@link TIMED_OUT} after `ms` if it has not settled by then; the
 * timer goes through `clock` and is cleared either way. A value that is not a promise sets no timer.
 */
export function withDeadline<TValue>(value: TValue | PromiseLike<TValue>, ms: number, clock: Clock): Promise<TValue | typeof TIMED_OUT> {
  if (typeof (value as PromiseLike<TValue> | undefined)?.then !== 'function') return Promise.resolve(value);
  let timer: TimerHandle | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = clock.setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([value, deadline]).finally(() => clock.clearTimeout(timer as TimerHandle));
}

/**
 * Resolves when `socket` has closed, terminating it if the closing handshake has not finished
 * within {@link CLOSE_GRACE_MS}.
 */
export function whenClosed(
  socket: { readonly readyState: number; once(event: 'close', listener: () => void): unknown; terminate(): void },
  clock: Clock,
): Promise<void> {
  if (socket.readyState === 3) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const guard = clock.setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
    socket.once('close', () => {
      clock.clearTimeout(guard);
      resolve();
    });
  });
}
