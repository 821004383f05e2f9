import { CloseCode } from '@duplex/core';
import type { WebSocket } from 'ws';
import type { ServerTransport } from './server-peer.js';

/** Options of {@link createSocketTransport}. */
export interface SocketTransportOptions {
  /** Pause subscription pulls above this many pending outgoing bytes; resume below half. */
  highWaterMarkBytes: number;
  /** Close the connection (1008) past this many pending outgoing bytes. */
  maxBufferedBytes: number;
  /** Called once when the connection is closed as a slow consumer. */
  onSlowConsumer?: (() => void) | undefined;
}

/** How long a slow consumer has to take the close frame before its socket is destroyed. */
export const SLOW_CONSUMER_GRACE_MS = 1_000;

/**
 * Maps a `ws` socket onto {@link ServerTransport} with backpressure: `whenWritable` parks
 * subscriptions while `bufferedAmount` is above the high-water mark, and a socket whose
 * buffer still passes `maxBufferedBytes` (large call results, a client that stopped reading) is
 * closed, so the memory one client can pin is bounded.
 */
export function createSocketTransport(socket: WebSocket, options: SocketTransportOptions): ServerTransport {
  return new SocketTransport(socket, options);
}

// A class, not closures: it is created per connection and idle connections should stay small.
class SocketTransport implements ServerTransport {
  private drained: Promise<void> | undefined;
  private resolveDrained: (() => void) | undefined;
  /** Passed to every send (one function per connection, made on first send). */
  private onWritten: (() => void) | undefined;
  private cut = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: SocketTransportOptions,
  ) {}

  send(frame: string): void {
    const socket = this.socket;
    socket.send(frame, (this.onWritten ??= () => this.written()));
    if (!this.cut && socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.cut = true;
      this.options.onSlowConsumer?.();
      socket.close(CloseCode.POLICY_VIOLATION, 'slow consumer: too many bytes pending');
      // A client that does not read cannot read the close frame either: free the buffer soon.
      setTimeout(() => socket.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
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

  whenWritable(): Promise<void> | undefined {
    if (this.cut || this.socket.bufferedAmount <= this.options.highWaterMarkBytes) return undefined;
    this.drained ??= new Promise<void>((resolve) => {
      this.resolveDrained = resolve;
    });
    return this.drained;
  }

  /** A completed write may be the one that drained the buffer below the low-water mark. */
  private written(): void {
    if (this.resolveDrained && this.socket.bufferedAmount <= this.options.highWaterMarkBytes / 2) this.release();
  }

  // When the socket closes instead of draining, the peer's dispose wakes parked subscriptions.
  private release(): void {
    const resolve = this.resolveDrained;
    this.drained = this.resolveDrained = undefined;
    resolve?.();
  }
}
