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
  const { highWaterMarkBytes, maxBufferedBytes } = options;
  const lowWaterMarkBytes = Math.floor(highWaterMarkBytes / 2);
  let drained: Promise<void> | undefined;
  let resolveDrained: (() => void) | undefined;
  let cut = false;

  const release = () => {
    const resolve = resolveDrained;
    drained = resolveDrained = undefined;
    resolve?.();
  };
  // One callback for every send (no closure per frame): a completed write may be the drain.
  const onWritten = () => {
    if (resolveDrained && socket.bufferedAmount <= lowWaterMarkBytes) release();
  };
  socket.once('close', release);

  return {
    send(frame) {
      socket.send(frame, onWritten);
      if (!cut && socket.bufferedAmount > maxBufferedBytes) {
        cut = true;
        options.onSlowConsumer?.();
        socket.close(CloseCode.POLICY_VIOLATION, 'slow consumer: too many bytes pending');
        // A client that does not read cannot read the close frame either: free the buffer soon.
        setTimeout(() => socket.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
        release();
      }
    },
    close(code, reason) {
      socket.close(code, reason);
    },
    whenWritable() {
      if (cut || socket.bufferedAmount <= highWaterMarkBytes) return undefined;
      drained ??= new Promise<void>((resolve) => {
        resolveDrained = resolve;
      });
      return drained;
    },
  };
}
