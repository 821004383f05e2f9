import { DuplexError, type StandardSchemaV1, type StreamSource, streamIterator } from '@duplex/core';
import { validate } from './call-procedure.js';

/**
 * The server's end of a call's client stream (protocol.md §7.2): what the handler reads as its
 * `input`. The peer feeds it the items of `data` messages; the client may send only as many as
 * this stream granted, so at most `window` items wait here. Each item is checked against the item
 * schema when the handler pulls it, and its credit goes back to the client once half a window has
 * been read (one `credit` message per half window, not one per item).
 */
export class InputStream implements AsyncIterable<unknown> {
  private readonly items: unknown[] = [];
  /** Items the client may still send (granted, not yet received). */
  private credit = 0;
  /** Items the handler has read whose credit is not yet returned. */
  private unreported = 0;
  private ended = false;
  private failure: DuplexError | undefined = undefined;
  private waiter: (() => void) | undefined = undefined;
  private iterating = false;
  private readonly threshold: number;

  /**
   * @param window items the client may send ahead of the handler
   * @param item the schema every item must pass (`BAD_REQUEST` with its issues otherwise)
   * @param grant sends a `credit` message for this stream
   */
  constructor(
    private readonly window: number,
    private readonly item: StandardSchemaV1 | undefined,
    private readonly grant: (n: number) => void,
  ) {
    this.threshold = Math.max(1, Math.floor(window / 2));
  }

  /** Grants the first window; the client sends nothing before it. */
  open(): void {
    this.credit = this.window;
    this.grant(this.window);
  }

  /** One item arrived. False (item dropped) when the client sent more than its credit. */
  push(value: unknown): boolean {
    if (this.credit <= 0) return false;
    this.credit--;
    // After the handler stopped reading (or the stream failed) items are let go at once.
    if (!this.ended && this.failure === undefined) this.items.push(value);
    this.wake();
    return true;
  }

  /** The client's `done`: the handler's loop ends after the items already here. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** The call ended (cancel, deadline, lost connection, error): the handler's next read throws `error`. */
  fail(error: DuplexError): void {
    if (this.failure === undefined) this.failure = error;
    this.items.length = 0;
    this.wake();
  }

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    if (this.iterating) throw new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'a client stream can be read only once' });
    this.iterating = true;
    return {
      next: () => this.next(),
      return: async () => {
        // The handler stopped reading: nothing more is kept or granted.
        this.ended = true;
        this.items.length = 0;
        return { done: true, value: undefined };
      },
    };
  }

  private async next(): Promise<IteratorResult<unknown>> {
    while (this.items.length === 0) {
      if (this.failure) throw this.failure;
      if (this.ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    if (this.failure) throw this.failure;
    const raw = this.items.shift();
    this.consumed();
    const value = validate(this.item, raw, 'BAD_REQUEST');
    return { done: false, value: value instanceof Promise ? await value : value };
  }

  private consumed(): void {
    if (this.ended) return;
    this.unreported++;
    if (this.unreported < this.threshold) return;
    const n = this.unreported;
    this.unreported = 0;
    this.credit += n;
    this.grant(n);
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

/**
 * A stream given to `createCaller` (no socket, no window): its items are checked against the
 * item schema one by one as the handler reads them, like a client stream's.
 */
export async function* validatedStream(source: StreamSource<unknown>, item: StandardSchemaV1): AsyncGenerator<unknown> {
  const iterator = streamIterator(source);
  try {
    for (;;) {
      const step = await iterator.next();
      if (step.done) return;
      const value = validate(item, step.value, 'BAD_REQUEST');
      yield value instanceof Promise ? await value : value;
    }
  } finally {
    await iterator.return?.();
  }
}
