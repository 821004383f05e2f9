/**
 * Reports an exception thrown by application code (an `onData` callback, a `state` listener) the
 * way a browser reports one thrown by an event listener: `reportError` where it exists, else
 * rethrown from a fresh task. Either way it stays visible, and it never unwinds through duplex,
 * where it would stop the rest of a frame (other calls' results, other subscriptions' events).
 */
export function reportError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else
    setTimeout(() => {
      throw error;
    }, 0);
}

/** `fn`, with anything it throws reported instead of thrown (see {@link reportError}); returns what `fn` returned. */
export function guarded<TArgs extends unknown[], TResult>(fn: (...args: TArgs) => TResult): (...args: TArgs) => TResult | undefined {
  return (...args) => {
    try {
      return fn(...args);
    } catch (error) {
      reportError(error);
      return undefined;
    }
  };
}

type Callback = ((...args: never[]) => void) | undefined;

/** The callbacks of a subscription's options, each {@link guarded}. */
export function guardedCallbacks<TOptions extends { onData?: Callback; onError?: Callback; onComplete?: Callback }>(options: TOptions): TOptions {
  const { onData, onError, onComplete } = options;
  return {
    ...options,
    onData: onData && guarded(onData),
    onError: onError && guarded(onError),
    onComplete: onComplete && guarded(onComplete),
  };
}
