import { reportError } from './user-callback.js';

/**
 * The client's side of one subscription's credit window (protocol.md §7.1). Invariant on the
 * current link: credits the server still holds + events delivered but not yet consumed + credits
 * consumed but not yet returned = `window`. So the server is never more than one window ahead of
 * what the application has consumed, and an `iterate()` buffer never holds more than `window`.
 *
 * Consumed credits go back in one `credit` message once half a window has piled up, never one
 * message per event (the server then still holds at least half a window, so a fast reader never
 * waits for credit; a slow one lets the server send half a window at a time).
 */
export class CreditFlow {
  /** Delivered to the application, not yet consumed. */
  private buffered = 0;
  /** Consumed, not yet granted back to the server. */
  private unreported = 0;
  private send: ((n: number) => void) | undefined = undefined;
  private readonly threshold: number;

  /**
   * @param window events the server may send ahead of the application (a positive integer)
   * @param manual true when the application consumes through {@link CreditFlow.consume} (`iterate()`);
   *   false when the peer consumes each event once `onData` has returned (or its promise settled)
   */
  constructor(
    readonly window: number,
    readonly manual: boolean,
  ) {
    this.threshold = Math.max(1, Math.floor(window / 2));
  }

  /** A (re)subscribe on a new link: returns its initial credit. Credits held by an old link are gone with it. */
  start(send: (n: number) => void): number {
    this.send = send;
    this.unreported = 0;
    return this.window - this.buffered;
  }

  /** One event arrived and was handed to the application. */
  received(): void {
    this.buffered++;
  }

  /** The application is done with `n` events (`iterate()` pulled them, or `onData` returned). */
  consume(n = 1): void {
    this.buffered = Math.max(0, this.buffered - n);
    this.unreported += n;
    if (this.unreported < this.threshold) return;
    const grant = this.unreported;
    this.unreported = 0;
    this.send?.(grant);
  }
}

/**
 * Consumes one event of an `onData` subscription once the callback is done with it: now, or when
 * the promise it returned settles (an async `onData` holds its credit until then). A rejection is
 * reported like an exception thrown by the callback.
 */
export function consumeAfter(flow: CreditFlow, result: unknown): void {
  if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') return flow.consume();
  (result as PromiseLike<unknown>).then(
    () => flow.consume(),
    (error: unknown) => {
      flow.consume();
      reportError(error);
    },
  );
}
