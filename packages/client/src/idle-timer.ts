import type { Clock, TimerHandle } from '@duplex/core';

/** Lazy mode: connect on the first call or subscription, disconnect when idle. */
export interface LazyOptions {
  /** Time with no pending call and no live subscription before the socket is closed. @default 10_000 */
  idleMs?: number;
}

/** The defaults of {@link LazyOptions}. */
export const DEFAULT_LAZY = { idleMs: 10_000 } as const;

/** A restartable countdown: `idle()` (re)starts it, `cancel()` stops it. */
export interface IdleTimer {
  idle(): void;
  cancel(): void;
}

/**
 * Fires `onIdle` once `idleMs` has passed since `idle()` was last called, unless cancelled.
 * `onIdle` must re-check that nothing is live: work may have started meanwhile.
 */
export function createIdleTimer(clock: Clock, idleMs: number, onIdle: () => void): IdleTimer {
  let timer: TimerHandle | undefined;
  const cancel = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  return {
    cancel,
    idle() {
      cancel();
      timer = clock.setTimeout(() => {
        timer = undefined;
        onIdle();
      }, idleMs);
    },
  };
}
