/**
 * How long the client's outgoing batch may gather messages before it leaves, in ms. A batch
 * normally leaves at the end of the tick (one microtask), which makes it one frame; but while the
 * client encodes a long batch the server has nothing to do, and while the server answers it the
 * client waits: the two processes take turns instead of working at once. Past this budget the
 * batch leaves at once and the next one starts, so the server begins on the first calls while the
 * client still encodes the rest. The first value, 0.25 ms, was chosen to keep 64 plain calls in
 * one frame; measured since, splitting them too is faster: with 0.1 ms scenario (b) (64 plain
 * calls in flight) did +50 % in the same run at the same CPU per call, since an idle server costs
 * more than a few more frames (docs/performance.md, "Batch budget").
 */
export const BATCH_BUDGET_MS = 0.1;

/** Milliseconds with sub-millisecond resolution where the runtime has `performance.now` (all current ones do). */
export const highResNow: () => number =
  typeof performance === 'object' && typeof performance.now === 'function' ? () => performance.now() : () => Date.now();

/** When the current outgoing batch started, and whether it has gathered for longer than {@link BATCH_BUDGET_MS}. */
export class BatchTimer {
  private start = 0;

  constructor(
    private readonly now: () => number = highResNow,
    private readonly budgetMs: number = BATCH_BUDGET_MS,
  ) {}

  /** Marks the start of a batch (its first message). */
  begin(): void {
    this.start = this.now();
  }

  /** True when a batch holding `pending` messages should leave before another one joins it. */
  expired(pending: number): boolean {
    return pending > 0 && this.now() - this.start > this.budgetMs;
  }
}
