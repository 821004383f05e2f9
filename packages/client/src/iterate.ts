import type { DuplexError } from '@duplex/core';
import { CreditFlow } from './credit-flow.js';
import type { SubscribeOptions } from './types.js';

type Start = (handlers: SubscribeOptions<unknown>, flow: CreditFlow | undefined) => () => void;

/**
 * Adapts a callback subscription to an AsyncIterable. Events are buffered until read, at most
 * `window` of them: each read returns a credit to the server, so a loop that stops reading stops
 * the server's generator within one window (protocol.md §7.1). Breaking out of the loop or
 * aborting `signal` ends the server's generator.
 */
export function iterateSubscription(start: Start, opts: { signal?: AbortSignal; window: number }): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<unknown> {
      const buffer: unknown[] = [];
      const flow = Number.isFinite(opts.window) ? new CreditFlow(opts.window, true) : undefined;
      let failure: DuplexError | undefined;
      let ended = false;
      let wake: (() => void) | undefined;
      const notify = () => {
        wake?.();
        wake = undefined;
      };
      const stop = start({
        onData: (value) => {
          buffer.push(value);
          notify();
        },
        onError: (error) => {
          failure = error;
          ended = true;
          notify();
        },
        onComplete: () => {
          ended = true;
          notify();
        },
        ...(opts.signal ? { signal: opts.signal } : {}),
      }, flow);
      const onAbort = () => {
        ended = true;
        notify();
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (): IteratorResult<unknown> => {
        ended = true;
        buffer.length = 0;
        stop();
        opts.signal?.removeEventListener('abort', onAbort);
        return { done: true, value: undefined };
      };
      return {
        async next() {
          while (buffer.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
          if (buffer.length > 0) {
            flow?.consume();
            return { done: false, value: buffer.shift() };
          }
          finish();
          if (failure) {
            const error = failure;
            failure = undefined;
            throw error;
          }
          return { done: true, value: undefined };
        },
        async return() {
          return finish();
        },
      };
    },
  };
}
