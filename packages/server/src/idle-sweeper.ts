import type { Clock, TimerHandle } from '@duplex/core';

/** What the sweeper needs from a connection ({@link ServerPeer} fits). */
export interface IdlePeer {
  /** Calls and subscriptions running now. */
  readonly stats: { calls: number; subscriptions: number };
  /** Calls and subscriptions started so far; a change means the connection was used. */
  readonly requestsStarted: number;
}

/** Sweeps per idle timeout: a connection closes between `idleTimeoutMs` and 1.25 × it. */
const SWEEPS_PER_TIMEOUT = 4;

interface IdleState {
  /** `requestsStarted` at the previous sweep. */
  seen: number;
  /** Consecutive sweeps with nothing running and nothing started. */
  idleSweeps: number;
}

/**
 * Closes connections that have had no call or subscription for `idleTimeoutMs` with one shared
 * timer for all of them (no timer per connection): every `idleTimeoutMs / 4` it counts, per
 * connection, the sweeps in a row in which nothing ran and nothing was started.
 */
export class IdleSweeper<TPeer extends IdlePeer> {
  private readonly peers = new Map<TPeer, IdleState>();
  private timer: TimerHandle | undefined;
  private readonly intervalMs: number;

  constructor(
    private readonly options: { clock: Clock; idleTimeoutMs: number; onIdle: (peer: TPeer) => void },
  ) {
    this.intervalMs = Math.max(1, Math.ceil(options.idleTimeoutMs / SWEEPS_PER_TIMEOUT));
  }

  /** Connections being watched. */
  get size(): number {
    return this.peers.size;
  }

  add(peer: TPeer): void {
    this.peers.set(peer, { seen: peer.requestsStarted, idleSweeps: 0 });
    this.timer ??= this.options.clock.setTimeout(() => this.onSweep(), this.intervalMs);
  }

  delete(peer: TPeer): void {
    this.peers.delete(peer);
    if (this.peers.size === 0) this.stop();
  }

  /** Clears the timer (server closing, or nothing left to watch). */
  stop(): void {
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onSweep(): void {
    this.timer = undefined;
    const needed = Math.ceil(this.options.idleTimeoutMs / this.intervalMs);
    const idle: TPeer[] = [];
    for (const [peer, state] of this.peers) {
      const { calls, subscriptions } = peer.stats;
      if (calls + subscriptions > 0 || peer.requestsStarted !== state.seen) {
        state.seen = peer.requestsStarted;
        state.idleSweeps = 0;
      } else if (++state.idleSweeps >= needed) {
        idle.push(peer);
      }
    }
    for (const peer of idle) {
      this.peers.delete(peer);
      this.options.onIdle(peer);
    }
    if (this.peers.size > 0) this.timer = this.options.clock.setTimeout(() => this.onSweep(), this.intervalMs);
  }
}
