import type { DuplexError } from '@duplex/core';
import type { CreditFlow } from './credit-flow.js';

/**
 * Items that arrived and wait to be read by one `for await` loop: a subscription's `iterate()`
 * or a streamed result. With a credit flow the server sends at most its window ahead of the
 * reader, so this buffer never holds more; each read returns a credit. A read item is let go at
 * once (nothing here keeps it reachable).
 */
export class EventBuffer {
  readonly #items: unknown[] = [];
  #ended = false;
  #failure: DuplexError | undefined = undefined;
  #wake: (() => void) | undefined = undefined;
  #stopped = false;

  /**
   * @param flow the credit window, consumed as the loop reads (undefined: no credit limit)
   * @param stop runs once when the loop is over; it tells the server to stop if it still runs
   *   (the loop ended early: `break`, `return()` or abort)
   */
  constructor(
    private readonly flow: CreditFlow | undefined,
    private readonly stop: () => void,
  ) {}

  get ended(): boolean {
    return this.#ended;
  }

  /** One item arrived (its credit was counted as received by whoever delivers it). */
  push(value: unknown): void {
    this.#items.push(value);
    this.#notify();
  }

  /** The producer finished: the loop ends after the items already here. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /**
   * The stream failed: the loop reads the items that came before, then throws `error`; with
   * `drop` (the caller gave up on it, e.g. an abort) it throws at its next read.
   */
  fail(error: DuplexError, drop = false): void {
    this.#failure = error;
    this.#ended = true;
    if (drop) this.#items.length = 0;
    this.#notify();
  }

  /** The reading side of the buffer (one loop). */
  iterator(): AsyncIterator<unknown> {
    return {
      next: async () => {
        while (this.#items.length === 0 && !this.#ended) await new Promise<void>((resolve) => (this.#wake = resolve));
        if (this.#items.length > 0) {
          this.flow?.consume();
          return { done: false, value: this.#items.shift() };
        }
        this.#finish();
        const failure = this.#failure;
        this.#failure = undefined;
        if (failure) throw failure;
        return { done: true, value: undefined };
      },
      return: async () => {
        this.#finish();
        return { done: true, value: undefined };
      },
    };
  }

  /** The loop is over (read to the end, broke out, or failed): release everything once. */
  #finish(): void {
    this.#ended = true;
    this.#items.length = 0;
    if (this.#stopped) return;
    this.#stopped = true;
    this.stop();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
