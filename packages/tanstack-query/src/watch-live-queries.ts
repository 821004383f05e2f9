import type { DuplexError } from '@duplex/core';
import { partialMatchKey, type QueryClient, type QueryKey } from '@tanstack/query-core';
import { LIVE_KEY, type LiveInvalidation } from './live-message.js';

/** A client whose router went through `live.attach()` (only its `~live` stream is used). */
export interface LiveClient {
  readonly [LIVE_KEY]: {
    subscribe(
      input: undefined,
      options: { onData: (event: LiveInvalidation, meta: { id: string | undefined }) => void; onError: (error: DuplexError) => void },
    ): { unsubscribe(): void };
  };
}

/** An entry of a call without input, or whose input has every value of `input` (TanStack's partial key match). */
function inputMatches(queryKey: QueryKey, input: unknown): boolean {
  const own = (queryKey[1] as { input?: unknown } | undefined)?.input;
  return own === undefined || partialMatchKey([own], [input]);
}

/** Options of {@link watchLiveQueries}. */
export interface WatchLiveQueriesOptions {
  /** Called for each invalidation after the queries were marked (for logging or tests), the `established` one included. */
  onInvalidate?: (event: LiveInvalidation) => void;
  /** The stream failed for a reason other than a lost replay position (e.g. the router has no live queries); watching stops. */
  onError?: (error: DuplexError) => void;
}

/**
 * Refetches the cached results of live queries whenever the server invalidates their topics; call
 * it once next to the QueryClient. Returns the function that stops watching.
 * @example const stop = watchLiveQueries(client, queryClient);
 */
export function watchLiveQueries(client: LiveClient, queryClient: QueryClient, options: WatchLiveQueriesOptions = {}): () => void {
  let subscription: { unsubscribe(): void } | undefined;
  let stopped = false;

  // Every message, the `established` one included, invalidates the entries cached under its paths
  // now: entries fetched later read state at least as new as the stream, which delivers what follows.
  // A stream that is not resumed (first connect, a reconnect before any event, a restart after
  // CONFLICT) starts with `established`, listing every live query, so nothing published before it
  // was live is lost; a resumed one replays what was published meanwhile instead.
  const start = () => {
    subscription = client[LIVE_KEY].subscribe(undefined, {
      onData: (event) => {
        const { input } = event;
        for (const path of event.paths) {
          void queryClient.invalidateQueries(
            input === undefined ? { queryKey: [path.split('.')] } : { queryKey: [path.split('.')], predicate: (query) => inputMatches(query.queryKey, input) },
          );
        }
        options.onInvalidate?.(event);
      },
      onError: (error) => {
        if (error.code !== 'CONFLICT') {
          options.onError?.(error);
          return;
        }
        // CONFLICT: the pub/sub can no longer replay from our last id (log trimmed, broker or server
        // restarted). The new stream starts afresh, so its `established` message invalidates every live query.
        if (!stopped) start();
      },
    });
  };

  start();
  return () => {
    stopped = true;
    subscription?.unsubscribe();
  };
}
