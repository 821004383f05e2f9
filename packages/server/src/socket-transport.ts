import { CloseCode } from '@duplex/core';
import type { WebSocket } from 'ws';
import type { ServerTransport } from './server-peer-options.js';

/** Options of {@link createSocketTransport}. */
export interface SocketTransportOptions {
  /** Pause subscription pulls above this many pending outgoing bytes; resume once the buffer is written out. */
  highWaterMarkBytes: number;
  /** Close the connection (1008) past this many pending outgoing bytes. */
  maxBufferedBytes: number;
  /** Called once when the connection is closed as a slow consumer. */
  onSlowConsumer?: ((transport: SocketTransport) => void) | undefined;
}

/** How long a slow consumer has to take the close frame before its socket is destroyed. */
export const SLOW_CONSUMER_GRACE_MS = 1_000;

/**
 * Maps a `ws` socket onto {@link ServerTransport} with backpressure: `whenWritable` parks
 * subscriptions while `bufferedAmount` is above the high-water mark, and a socket whose
 * buffer still passes `maxBufferedBytes` (large call results, a client that stopped reading) is
 * closed, so the memory one client can pin is bounded. A class, not closures: one of these
 * exists per idle connection, and memory per connection is a benchmark target.
 */
export class SocketTransport implements ServerTransport {
  private drained: Promise<void> | undefined;
  private resolveDrained: (() => void) | undefined;
  private cut = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: SocketTransportOptions,
  ) {}

  send(frame: string | Uint8Array): void {
    this.socket.send(frame);
    if (!this.cut && this.socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.cut = true;
      this.options.onSlowConsumer?.(this);
      this.socket.close(CloseCode.POLICY_VIOLATION, 'slow consumer: too many bytes pending');
      // A client that does not read cannot read the close frame either: free the buffer soon.
      const socket = this.socket;
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
    if (!this.drained) {
      this.drained = new Promise<void>((resolve) => {
        this.resolveDrained = resolve;
      });
      // The TCP socket's 'drain' means its write buffer emptied: listen only while someone waits,
      // so idle connections carry no callback. (`_socket` is ws's underlying net.Socket.) 'drain'
      // only comes after a write was refused; bytes queued elsewhere (ws's deflate queue) do not
      // park anyone, or nothing would ever wake them.
      const net = (this.socket as unknown as { _socket?: { writableNeedDrain?: boolean; once(event: 'drain', fn: () => void): void } })._socket;
      if (net?.writableNeedDrain) net.once('drain', () => this.release());
      else this.release();
    }
    return this.drained;
  }

  /** Wakes every parked subscription (drained, cut, or the socket closed). */
  release(): void {
    const resolve = this.resolveDrained;
    this.drained = this.resolveDrained = undefined;
    resolve?.();
  }
}

/** Creates a {@link SocketTransport}. */
export function createSocketTransport(socket: WebSocket, options: SocketTransportOptions): SocketTransport {
  return new SocketTransport(socket, options);
}
