import { CreditFlow } from './credit-flow.js';
import { EventBuffer } from './event-buffer.js';
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
      const flow = Number.isFinite(opts.window) ? new CreditFlow(opts.window, true) : undefined;
      const onAbort = () => buffer.end();
      const buffer = new EventBuffer(flow, () => {
        stop();
        opts.signal?.removeEventListener('abort', onAbort);
      });
      const stop = start(
        {
          onData: (value) => buffer.push(value),
          onError: (error) => buffer.fail(error),
          onComplete: () => buffer.end(),
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
        flow,
      );
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      return buffer.iterator();
    },
  };
}
