import type { Clock, TimerHandle } from '@duplex/core';
import { MAX_TIMER_DELAY_MS } from './limits.js';

/**
 * Reads when a connection's credentials expire (the `credentialsExpireAt` option) and ends the
 * connection then, unless an `auth` with newer credentials re-armed it first (protocol.md §5.3).
 */
export class CredentialExpiry {
  #timer: TimerHandle | undefined;
  #exp = 0;

  constructor(
    private readonly clock: Clock,
    private readonly read: (ctx: unknown) => number | Date | undefined,
    private readonly onExpired: () => void,
  ) {}

  /**
   * Arms the timer for a new context; returns the expiry to state in `ready` or the `auth`
   * result (epoch ms), or undefined when the context has none. A hook that throws or returns
   * something other than a time expires the credentials at once: failing open would keep an
   * identity alive that the app meant to end.
   */
  arm(ctx: unknown): number | undefined {
    this.stop();
    let exp: number;
    try {
      const raw = this.read(ctx);
      if (raw === undefined) return undefined;
      exp = raw instanceof Date ? raw.getTime() : raw;
    } catch {
      exp = Number.NaN;
    }
    if (!Number.isFinite(exp)) exp = this.clock.now();
    this.#exp = exp;
    this.#schedule();
    return exp;
  }

  /** Clears the timer (connection closed). */
  stop(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    // Node fires a timer longer than 2^31 − 1 ms after 1 ms: wait in steps instead.
    const delay = Math.min(Math.max(0, this.#exp - this.clock.now()), MAX_TIMER_DELAY_MS);
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.clock.now() < this.#exp) this.#schedule();
      else this.onExpired();
    }, delay);
  }
}
