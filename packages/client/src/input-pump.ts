import { type StreamSource, streamIterator } from '@duplex/core';

/** Where an {@link InputPump} delivers. */
export interface InputSink {
  /** Sends one item; false stops the pump (the call ended, or the item could not be sent). */
  item(value: unknown): boolean;
  /** The source is exhausted: send `done`. */
  end(): void;
  /** The source threw: end the call with it. */
  fail(error: unknown): void;
}

/**
 * Sends a call's client stream (protocol.md §7.2). The source is pulled only while the server's
 * credit lasts: a handler that reads slowly holds the source back within one window, so neither
 * side buffers more than that. Stopping calls the source's `return()` (an async generator runs
 * its `finally`; a `ReadableStream` is cancelled).
 */
export class InputPump {
  #credit = 0;
  #running = false;
  #stopped = false;
  readonly #iterator: AsyncIterator<unknown>;
  readonly #sink: InputSink;

  constructor(source: StreamSource<unknown>, sink: InputSink) {
    this.#iterator = streamIterator(source);
    this.#sink = sink;
  }

  /** The server granted `n` more items. */
  grant(n: number): void {
    this.#credit += n;
    if (!this.#running && !this.#stopped) void this.#run();
  }

  /** Stops for good; the source's `return()` runs unless it already finished. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#iterator.return?.().catch(() => {});
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#credit > 0 && !this.#stopped) {
      let step: IteratorResult<unknown>;
      try {
        step = await this.#iterator.next();
      } catch (error) {
        if (!this.#stopped) {
          this.#stopped = true;
          this.#sink.fail(error);
        }
        break;
      }
      if (this.#stopped) break;
      if (step.done) {
        this.#stopped = true;
        this.#sink.end();
        break;
      }
      this.#credit--;
      if (!this.#sink.item(step.value)) this.stop();
    }
    this.#running = false;
  }
}
