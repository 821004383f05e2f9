import { type Clock, CloseCode } from '@duplex/core';
import { CLOSE_GRACE_MS } from './drain.js';
import type { HubSocket } from './connection-hub.js';
import type { ServerTransport } from './server-peer-options.js';
import { SLOW_CONSUMER_GRACE_MS, type SocketTransportOptions } from './socket-transport.js';

/** The operations a runtime's own server socket offers (Bun's `ServerWebSocket`, Deno's `WebSocket`). */
export interface NativeSocket {
  send(frame: string | Uint8Array): void;
  close(code: number, reason: string): void;
  /** Drops the connection without a closing handshake (where the runtime cannot, a close). */
  terminate(): void;
  /** A keep-alive probe: a protocol ping, or the application-level `{"t":"ping"}` where the runtime has none. */
  ping(): void;
  /** Outgoing bytes the runtime has queued for this socket. */
  bufferedAmount(): number;
}

/** Options of {@link NativeSocketTransport}. */
export interface NativeSocketTransportOptions extends Omit<SocketTransportOptions, 'onSlowConsumer'> {
  /** Called once when the connection is closed as a slow consumer. */
  onSlowConsumer?: ((transport: ServerTransport) => void) | undefined;
  clock: Clock;
  /**
   * For runtimes without a "drained" event (Deno): how often a parked subscription re-reads
   * `bufferedAmount`. Runtimes with one call {@link NativeSocketTransport.release} from it.
   */
  drainPollMs?: number | undefined;
}

/**
 * A connection on a runtime's own WebSocket, seen by the peer as its {@link ServerTransport} and
 * by the hub as its socket: the same backpressure as the `ws` adapter (subscriptions park above
 * `highWaterMarkBytes`, a client past `maxBufferedBytes` is cut with 1008).
 */
export class NativeSocketTransport implements ServerTransport, HubSocket {
  private drained: Promise<void> | undefined;
  private resolveDrained: (() => void) | undefined;
  private cut = false;
  private isClosed = false;
  private onClosed: (() => void) | undefined;

  constructor(
    readonly socket: NativeSocket,
    private readonly options: NativeSocketTransportOptions,
  ) {}

  get bufferedAmount(): number {
    return this.socket.bufferedAmount();
  }

  send(frame: string | Uint8Array): void {
    this.socket.send(frame);
    if (!this.cut && this.socket.bufferedAmount() > this.options.maxBufferedBytes) {
      this.cut = true;
      this.options.onSlowConsumer?.(this);
      this.close(CloseCode.POLICY_VIOLATION, 'slow consumer: too many bytes pending');
      // A client that does not read cannot read the close frame either: free the buffer soon.
      this.options.clock.setTimeout(() => this.socket.terminate(), SLOW_CONSUMER_GRACE_MS);
      this.release();
    }
  }

  close(code: number, reason: string): void {
    try {
      this.socket.close(code, reason);
    } catch {
      // An invalid code or reason must not escape into the socket's event handler.
      this.socket.terminate();
    }
  }

  ping(): void {
    this.socket.ping();
  }

  terminate(): void {
    this.socket.terminate();
  }

  whenWritable(): Promise<void> | undefined {
    if (this.cut || this.socket.bufferedAmount() <= this.options.highWaterMarkBytes) return undefined;
    if (!this.drained) {
      this.drained = new Promise<void>((resolve) => {
        this.resolveDrained = resolve;
      });
      if (this.options.drainPollMs !== undefined) this.poll(this.options.drainPollMs);
    }
    return this.drained;
  }

  /** Wakes every parked subscription (drained, cut, or the socket closed). */
  release(): void {
    const resolve = this.resolveDrained;
    this.drained = this.resolveDrained = undefined;
    resolve?.();
  }

  /** The runtime reported the socket closed: wakes parked subscriptions and close waiters. */
  markClosed(): void {
    this.isClosed = true;
    this.release();
    this.onClosed?.();
  }

  /**
   * Resolves once the socket has closed, terminating it if the closing handshake has not
   * finished within {@link CLOSE_GRACE_MS}.
   */
  whenClosed(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const guard = this.options.clock.setTimeout(() => {
        this.socket.terminate();
        // A runtime that cannot terminate may never report the close of a dead link.
        resolve();
      }, CLOSE_GRACE_MS);
      this.onClosed = () => {
        this.options.clock.clearTimeout(guard);
        resolve();
      };
    });
  }

  private poll(ms: number): void {
    this.options.clock.setTimeout(() => {
      if (!this.drained) return;
      if (this.cut || this.socket.bufferedAmount() <= this.options.highWaterMarkBytes) this.release();
      else this.poll(ms);
    }, ms);
  }
}
