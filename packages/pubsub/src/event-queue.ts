import { DuplexError } from '@duplex/core';

/** Options of {@link EventQueue}. */
export interface EventQueueOptions {
  /** Ends the queue (iteration completes) when aborted. */
  signal: AbortSignal;
  /** Runs once when the queue ends for any reason: abort, `return()`, `end()` or `fail()`. */
  onClose: () => void;
  /**
   * Most events buffered for a consumer that does not keep up; one more fails the queue with
   * {@link EventQueueOptions.overflowError} rather than dropping events or growing without bound.
   * @default Infinity
   */
  maxBuffered?: number | undefined;
  /** The error for an overflow. @default a `SERVICE_UNAVAILABLE` DuplexError (retryable: resume from the last id). */
  overflowError?: (() => unknown) | undefined;
}

/**
 * A push-to-pull bridge: backends `push()` events as they arrive, the consumer pulls with
 * `for await`. A pending `next()` settles on push, failure, end or abort, so a consumer waiting
 * for an event that never comes still lets the backend subscription go when the signal aborts.
 */
export class EventQueue<TItem> implements AsyncIterableIterator<TItem> {
  readonly #buffer: TItem[] = [];
  readonly #options: EventQueueOptions;
  #waiter: { resolve: (result: IteratorResult<TItem, undefined>) => void; reject: (error: unknown) => void } | undefined;
  #error: { value: unknown } | undefined;
  #ended = false;
  #closed = false;
  #drained: (() => void) | undefined;
  #whenClosed: { promise: Promise<void>; resolve: () => void } | undefined;
  readonly #onAbort = (): void => this.end();

  constructor(options: EventQueueOptions) {
    this.#options = options;
    if (options.signal.aborted) this.end();
    else options.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Events buffered and not yet pulled. */
  get size(): number {
    return this.#buffer.length;
  }

  /** True once ended, failed, aborted or returned; later pushes are dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Delivers an event to the waiting consumer or buffers it. */
  push(item: TItem): void {
    if (this.#ended) return;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve({ value: item, done: false });
    } else if (this.#buffer.length >= (this.#options.maxBuffered ?? Number.POSITIVE_INFINITY)) {
      this.#buffer.length = 0;
      this.fail((this.#options.overflowError ?? slowConsumer)());
    } else {
      this.#buffer.push(item);
    }
  }

  /** Ends the queue with an error, thrown by the consumer's next `next()` after buffered events. */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#error = { value: error };
    this.#finish();
  }

  /** Ends the queue; buffered events are still delivered unless the signal aborted. */
  end(): void {
    if (this.#ended) return;
    if (this.#options.signal.aborted) this.#buffer.length = 0;
    this.#finish();
  }

  /** Resolves when the consumer has pulled every buffered event (or the queue closed). */
  whenDrained(): Promise<void> {
    if (this.#buffer.length === 0 || this.#ended) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  /** Resolves once the queue has closed (for resources that must stop with it). */
  whenClosed(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (!this.#whenClosed) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => {
        resolve = done;
      });
      this.#whenClosed = { promise, resolve };
    }
    return this.#whenClosed.promise;
  }

  next(): Promise<IteratorResult<TItem, undefined>> {
    if (this.#buffer.length > 0) {
      const item = this.#buffer.shift() as TItem;
      if (this.#buffer.length === 0) this.#notifyDrained();
      return Promise.resolve({ value: item, done: false });
    }
    this.#notifyDrained();
    if (this.#error) {
      const error = this.#error.value;
      this.#error = undefined;
      return Promise.reject(error);
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<TItem, undefined>> {
    this.#buffer.length = 0;
    this.#error = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #finish(): void {
    this.#ended = true;
    this.#options.signal.removeEventListener('abort', this.#onAbort);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) {
      if (this.#error) {
        const error = this.#error.value;
        this.#error = undefined;
        waiter.reject(error);
      } else {
        waiter.resolve({ value: undefined, done: true });
      }
    }
    this.#notifyDrained();
    if (!this.#closed) {
      this.#closed = true;
      this.#options.onClose();
      this.#whenClosed?.resolve();
    }
  }

  #notifyDrained(): void {
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.();
  }
}

function slowConsumer(): DuplexError {
  return new DuplexError({
    code: 'SERVICE_UNAVAILABLE',
    message: 'Subscriber fell too far behind its events; resume from the last event id',
    retryable: true,
  });
}
