import type { DuplexError } from '@duplex/core';
import type { QueryClient } from '@tanstack/query-core';
import { LIVE_KEY, type LiveInvalidation } from './live-message.js';
import type { ConnectionSource } from './types.js';

/** A client whose router went through `live.attach()` (only the stream and the connection are used). */
export interface LiveClient extends ConnectionSource {
  readonly [LIVE_KEY]: {
    subscribe(
      input: undefined,
      options: { onData: (event: LiveInvalidation, meta: { id: string | undefined }) => void; onError: (error: DuplexError) => void },
    ): { unsubscribe(): void };
  };
}

/** Options of {@link watchLiveQueries}. */
export interface WatchLiveQueriesOptions {
  /** Called for each invalidation after the queries were marked (for logging or tests). */
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
  let lastEventId: string | undefined;
  let wasAway = false;
  let subscription: { unsubscribe(): void } | undefined;
  let stopped = false;

  // The whole cache of this client's duplex queries: the conservative answer when invalidations may have been missed.
  const invalidateAll = () => queryClient.invalidateQueries({ queryKey: [[]] });

  const start = () => {
    subscription = client[LIVE_KEY].subscribe(undefined, {
      onData: (event, meta) => {
        if (meta.id !== undefined) lastEventId = meta.id;
        for (const path of event.paths) void queryClient.invalidateQueries({ queryKey: [path.split('.')] });
        options.onInvalidate?.(event);
      },
      onError: (error) => {
        if (error.code !== 'CONFLICT') {
          options.onError?.(error);
          return;
        }
        // CONFLICT: the pub/sub can no longer replay from our last id (log trimmed, broker or server
        // restarted). Whatever was missed is unknown, so everything is refetched, then the stream starts anew.
        if (stopped) return;
        lastEventId = undefined;
        void invalidateAll();
        start();
      },
    });
  };

  const offState = client.on('state', (state) => {
    if (state === 'reconnecting') wasAway = true;
    else if (state === 'open' && wasAway) {
      wasAway = false;
      // With no event seen yet the stream resumes from "now": what was published while away is unknown.
      if (lastEventId === undefined) void invalidateAll();
    }
  });
  start();
  return () => {
    stopped = true;
    offState();
    subscription?.unsubscribe();
  };
}
