import { DEFAULT_MAX_BUFFERED_EVENTS, type SubscriptionProcedureOptions } from '@duplex/core';

/** Pulls of an eager source between two yields to the event loop, so a generator that never awaits cannot starve it. */
const PULLS_PER_TURN = 256;

const nextTurn: () => Promise<void> =
  typeof setImmediate === 'function' ? () => new Promise((resolve) => setImmediate(resolve)) : () => new Promise((resolve) => setTimeout(resolve, 0));

type Ending = { done: true } | { done: false; error: unknown };

/**
 * The `'dropOldest'` and `'latest'` slow-reader policies: pulls the source as fast as it yields,
 * whatever the reader does, and holds at most `max` events for the reader, dropping the oldest
 * past that (`'latest'` is `max` 1). The subscription loop then reads this buffer only while it
 * has credit and the socket is writable, so a slow reader sees fewer events instead of slowing
 * the producer. The end or error of the source reaches the reader after the events held.
 */
export class SlowReaderBuffer implements AsyncIterator<unknown> {
  /** Events dropped so far (for tests and logs). */
  dropped = 0;
  private readonly held: unknown[] = [];
  private ending: Ending | undefined = undefined;
  private waiter: { resolve: (step: IteratorResult<unknown>) => void; reject: (error: unknown) => void } | undefined = undefined;
  private stopped = false;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly max: number,
  ) {
    void this.pump();
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.held.length > 0) return Promise.resolve({ done: false, value: this.held.shift() });
    const ending = this.ending;
    if (ending) return ending.done ? Promise.resolve({ done: true, value: undefined }) : Promise.reject(ending.error);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<unknown>> {
    this.stopped = true;
    this.held.length = 0;
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  private async pump(): Promise<void> {
    let pulls = 0;
    try {
      while (!this.stopped) {
        let step: IteratorResult<unknown> | undefined = await this.source.next();
        if (this.stopped) return;
        if (step.done) return this.end({ done: true });
        this.hold(step.value);
        // A suspended async frame keeps its locals: drop the event before the next await (issue 14).
        step = undefined;
        if (++pulls % PULLS_PER_TURN === 0) await nextTurn();
      }
    } catch (error) {
      this.end({ done: false, error });
    }
  }

  /** Hands an event to a waiting reader, or holds it, dropping the oldest past `max`. */
  private hold(value: unknown): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter.resolve({ done: false, value });
    else if (this.held.push(value) > this.max) {
      this.held.shift();
      this.dropped++;
    }
  }

  private end(ending: Ending): void {
    this.ending = ending;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (!waiter) return;
    if (ending.done) waiter.resolve({ done: true, value: undefined });
    else waiter.reject(ending.error);
  }
}

/** The iterator a subscription loop reads: the source itself under `'block'`, else a {@link SlowReaderBuffer} around it. */
export function applySlowReaderPolicy(source: AsyncIterator<unknown>, options: SubscriptionProcedureOptions | undefined): AsyncIterator<unknown> {
  const policy = options?.slowReader ?? 'block';
  if (policy === 'block') return source;
  return new SlowReaderBuffer(source, policy === 'latest' ? 1 : (options?.maxBuffered ?? DEFAULT_MAX_BUFFERED_EVENTS));
}
