import type { Clock, TimerHandle } from '@duplex/core';

/** Default lead time: how long before a stated expiry the client renews its credentials. */
export const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 10_000;

/** Schedules the renewal of credentials the server said expire (protocol.md §5.3). */
export interface CredentialRefresh {
  /** The server stated an expiry (epoch ms) in `ready` or an `auth` answer; undefined: none. */
  expiresAt(exp: number | undefined): void;
  stop(): void;
}

/**
 * One `refresh` (connectionParams evaluated again, sent with `reauthenticate()`) per stated
 * expiry, `beforeMs` ahead of it, but never earlier than half the time left, so short-lived
 * tokens are not renewed back to back.
 */
export function createCredentialRefresh(clock: Clock, beforeMs: number, refresh: () => Promise<void>): CredentialRefresh {
  let timer: TimerHandle | undefined;
  let handled = Number.NEGATIVE_INFINITY;
  const stop = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  return {
    expiresAt(exp) {
      if (exp === undefined) return stop();
      // Only a later expiry schedules another refresh. A renewal that brings none (the same
      // token again) ends in the server's 4401 and the client's one reconnect: never a loop.
      if (exp <= handled) return;
      handled = exp;
      stop();
      const left = exp - clock.now();
      timer = clock.setTimeout(
        () => {
          timer = undefined;
          // A refused renewal keeps the old context until it expires; the 4401 rule takes over.
          refresh().catch(() => {});
        },
        Math.max(0, left - Math.min(beforeMs, left / 2)),
      );
    },
    stop,
  };
}
