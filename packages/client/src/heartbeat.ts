import type { Clock, TimerHandle } from '@duplex/core';

/** Client keep-alive: an application-level ping when the link has been silent. */
export interface KeepAliveOptions {
  /** Silence (no message received) after which the client sends `{t:'ping'}`. @default 5_000 */
  intervalMs?: number;
  /** Time to wait for any message after a ping before the link is declared dead. @default 3_000 */
  pongTimeoutMs?: number;
}

/**
 * The defaults of the client's {@link KeepAliveOptions}: a half-open link is noticed at most
 * 8 s after the last message, and replaced after the first (jittered, ≤ 200 ms) reconnect delay.
 */
export const DEFAULT_CLIENT_KEEP_ALIVE = { intervalMs: 5_000, pongTimeoutMs: 3_000 } as const;

/** What a {@link Heartbeat} drives. */
export interface HeartbeatOptions {
  clock: Clock;
  intervalMs: number;
  pongTimeoutMs: number;
  /** Sends a ping; a no-op while the socket is not open yet (the handshake then times out). */
  ping: () => void;
  /** The link is dead: no message within `pongTimeoutMs` of a ping. */
  onTimeout: () => void;
}

/**
 * Detects a silent server with one timer per connection. Receiving a message only records the
 * time (no timer churn on the hot path); the timer re-reads it when it fires.
 */
export class Heartbeat {
  #lastSeen = 0;
  #pinged = false;
  /** Something arrived since the last ping (a flag, not a time: both may share a millisecond). */
  #answered = false;
  #timer: TimerHandle | undefined;

  readonly #options: HeartbeatOptions;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /** Starts watching a new socket; the opening handshake counts as silence. */
  start(): void {
    this.stop();
    this.#lastSeen = this.#options.clock.now();
    this.#arm(this.#options.intervalMs);
  }

  /** Any message from the server proves the link is alive. */
  received(): void {
    this.#lastSeen = this.#options.clock.now();
    this.#answered = true;
  }

  /** Pings now instead of waiting out the interval (page visible again, network back). */
  checkNow(): void {
    if (this.#timer === undefined || this.#pinged) return;
    this.#sendPing();
  }

  stop(): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pinged = false;
  }

  #arm(ms: number): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = this.#options.clock.setTimeout(() => this.#tick(), ms);
  }

  #sendPing(): void {
    this.#pinged = true;
    this.#answered = false;
    this.#arm(this.#options.pongTimeoutMs);
    this.#options.ping();
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#pinged) {
      this.#pinged = false;
      if (!this.#answered) {
        this.#options.onTimeout();
        return;
      }
    }
    const silent = this.#options.clock.now() - this.#lastSeen;
    if (silent >= this.#options.intervalMs) this.#sendPing();
    else this.#arm(this.#options.intervalMs - silent);
  }
}
