import type { DuplexError } from '@duplex/core';
import type { SubscribeOptions } from './types.js';

type Start = (handlers: SubscribeOptions<unknown>) => () => void;

/**
 * Adapts a callback subscription to an AsyncIterable. Events are buffered until read; breaking
 * out of the loop or aborting `signal` ends the server's generator.
 */
export function iterateSubscription(start: Start, opts: { signal?: AbortSignal } = {}): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<unknown> {
      const buffer: unknown[] = [];
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
      });
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
          if (buffer.length > 0) return { done: false, value: buffer.shift() };
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
