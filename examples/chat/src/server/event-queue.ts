import { DuplexError } from '@duplex/server';

/**
 * Turns pushed events into an async iterable for a subscription generator. Iteration ends when
 * `signal` aborts (unsubscribe, disconnect, server close). At most `maxBuffered` events wait for a
 * slow reader; past that the iteration fails instead of growing memory without bound.
 */
export class EventQueue<TEvent> implements AsyncIterable<TEvent> {
  private readonly buffer: TEvent[] = [];
  private wake: (() => void) | undefined;
  private overflowed = false;

  constructor(
    private readonly signal: AbortSignal,
    private readonly maxBuffered = 1_000,
  ) {
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  push(event: TEvent): void {
    if (this.buffer.length >= this.maxBuffered) this.overflowed = true;
    else this.buffer.push(event);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TEvent> {
    while (!this.signal.aborted) {
      if (this.overflowed) throw new DuplexError({ code: 'SERVICE_UNAVAILABLE', message: 'subscriber fell too far behind' });
      const next = this.buffer.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}
