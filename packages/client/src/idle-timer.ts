import type { Clock, TimerHandle } from '@duplex/core';

/** Lazy mode: connect on the first call or subscription, disconnect when idle. */
export interface LazyOptions {
  /** Time with no pending call and no live subscription before the socket is closed. @default 10_000 */
  idleMs?: number;
}

/** The defaults of {@link LazyOptions}. */
export const DEFAULT_LAZY = { idleMs: 10_000 } as const;

/**
 * Fires `onIdle` once `idleMs` has passed since {@link IdleTimer.idle} was last called, unless
 * cancelled. `onIdle` must re-check that nothing is live: work may have started meanwhile.
 */
export class IdleTimer {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly onIdle: () => void,
  ) {}

  /** Nothing is live any more: (re)start the countdown. */
  idle(): void {
    this.cancel();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.onIdle();
    }, this.idleMs);
  }

  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
