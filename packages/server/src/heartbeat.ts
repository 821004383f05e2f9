import type { Clock, TimerHandle } from '@duplex/core';

/** Server keep-alive: a protocol ping to each quiet socket; no pong in time terminates it. */
export interface KeepAliveOptions {
  /** Time between sweeps; a socket heard from since the last sweep is not pinged. @default 10_000 */
  intervalMs?: number;
  /** Time a pinged socket has to answer (pong or any message) before it is terminated. @default 5_000 */
  pongTimeoutMs?: number;
}

/**
 * The defaults of the server's {@link KeepAliveOptions}. A silent peer is pinged within
 * 2 × `intervalMs` of its last frame and terminated `pongTimeoutMs` later (≤ 25 s), which also
 * keeps proxies with a 60 s idle timeout (nginx) from closing quiet connections.
 */
export const DEFAULT_SERVER_KEEP_ALIVE = { intervalMs: 10_000, pongTimeoutMs: 5_000 } as const;

/** What the sweeper needs from a socket (`ws` fits). */
export interface HeartbeatSocket {
  ping(): void;
  terminate(): void;
}

/** Heard from since the last sweep. */
const HEARD = 0;
/** Not heard from since the last sweep, no ping outstanding. */
const QUIET = -1;

/**
 * One shared timer for every socket, instead of one per socket: each sweep pings the sockets that
 * were quiet since the previous sweep, and one deadline per sweep terminates those that stayed
 * silent. Per connection it keeps a single number: the sweep whose ping is outstanding, or a state.
 */
export class HeartbeatSweeper<TSocket extends HeartbeatSocket> {
  private readonly sockets = new Map<TSocket, number>();
  private sweep = 0;
  private sweepTimer: TimerHandle | undefined;
  private readonly deadlines = new Set<TimerHandle>();

  constructor(private readonly options: { clock: Clock; intervalMs: number; pongTimeoutMs: number }) {}

  /** Sockets being watched. */
  get size(): number {
    return this.sockets.size;
  }

  add(socket: TSocket): void {
    this.sockets.set(socket, HEARD);
    if (this.sweepTimer === undefined) this.armSweep();
  }

  /** A pong or any message arrived: the peer is alive. */
  seen(socket: TSocket): void {
    if (this.sockets.has(socket)) this.sockets.set(socket, HEARD);
  }

  delete(socket: TSocket): void {
    this.sockets.delete(socket);
    if (this.sockets.size === 0) this.stop();
  }

  /** Clears every timer (server closing, or nothing left to watch). */
  stop(): void {
    if (this.sweepTimer !== undefined) this.options.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const timer of this.deadlines) this.options.clock.clearTimeout(timer);
    this.deadlines.clear();
  }

  private armSweep(): void {
    this.sweepTimer = this.options.clock.setTimeout(() => this.onSweep(), this.options.intervalMs);
  }

  private onSweep(): void {
    this.sweepTimer = undefined;
    const sweep = ++this.sweep;
    let pinged = 0;
    for (const [socket, state] of this.sockets) {
      if (state === HEARD) {
        this.sockets.set(socket, QUIET);
      } else if (state === QUIET) {
        this.sockets.set(socket, sweep);
        pinged++;
        try {
          socket.ping();
        } catch {
          // The socket is closing; its close event removes it.
        }
      }
    }
    if (pinged > 0) {
      const deadline = this.options.clock.setTimeout(() => {
        this.deadlines.delete(deadline);
        this.onDeadline(sweep);
      }, this.options.pongTimeoutMs);
      this.deadlines.add(deadline);
    }
    if (this.sockets.size > 0) this.armSweep();
  }

  private onDeadline(sweep: number): void {
    for (const [socket, state] of [...this.sockets]) {
      if (state !== sweep) continue;
      // terminate(), never close(): a closing handshake on a dead link waits 30 s for an answer.
      this.sockets.delete(socket);
      socket.terminate();
    }
    if (this.sockets.size === 0) this.stop();
  }
}
