import { ClientPeer } from '@duplex/client';
import { binary } from '@duplex/client/binary';
import { type AnyRouter, type Clock, type Codec, PROTOCOL_VERSION, superjsonCodec, systemClock } from '@duplex/core';
import { ServerPeer, type ServerPeerOptions } from '@duplex/server';

/**
 * A ClientPeer and a ServerPeer joined in memory: frames cross on a microtask, as over a socket.
 * A frame is a string (text frame) or bytes (binary frame).
 */
export interface MemoryPair {
  client: ClientPeer;
  server: ServerPeer;
  /** Every frame each side sent, in order. */
  frames: { toServer: Array<string | Uint8Array>; toClient: Array<string | Uint8Array> };
  /** Closes the server side with this code (as a transport close). */
  closes: Array<{ code: number; reason: string }>;
  /** Cuts the link: both peers see the connection go away. */
  cut(): void;
}

/** Builds a {@link MemoryPair} for peer-level tests. */
export function createMemoryPair(
  router: AnyRouter,
  options: {
    createContext?: ServerPeerOptions['createContext'];
    codec?: Codec;
    clock?: Clock;
    params?: Record<string, unknown>;
    exposeErrors?: boolean;
    onError?: ServerPeerOptions['onError'];
  } = {},
): MemoryPair {
  const frames: MemoryPair['frames'] = { toServer: [], toClient: [] };
  const closes: Array<{ code: number; reason: string }> = [];
  const codec = options.codec ?? superjsonCodec;
  const clock = options.clock ?? systemClock;
  let linked = true;
  const client = new ClientPeer({ codec, clock, binary });
  const server = new ServerPeer({
    router,
    connectionId: 'memory',
    clock,
    transport: {
      send: (frame) => {
        frames.toClient.push(frame);
        queueMicrotask(() => linked && client.receive(frame));
      },
      close: (code, reason) => {
        closes.push({ code, reason });
        linked = false;
        client.detach();
      },
    },
    createContext: options.createContext ?? (() => ({})),
    exposeErrors: options.exposeErrors,
    onError: options.onError,
  });
  client.attach(
    (frame) => {
      frames.toServer.push(frame);
      queueMicrotask(() => {
        if (!linked) return;
        if (typeof frame === 'string') server.receive(frame);
        else server.receiveBinary(frame);
      });
    },
    { t: 'hello', v: PROTOCOL_VERSION, codec: codec.name, ...(options.params ? { params: options.params } : {}) },
  );
  return {
    client,
    server,
    frames,
    closes,
    cut() {
      linked = false;
      client.detach();
      server.dispose();
    },
  };
}
