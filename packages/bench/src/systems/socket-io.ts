import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { io as connectIo } from 'socket.io-client';
import { WebSocketServer } from 'ws';
import { EventHub } from '../event-hub.js';
import { type BenchEvent, makeEvent } from '../payloads.js';
import type { BenchSystem } from '../system.js';

/** Socket.IO 4 over the WebSocket transport only: `emitWithAck` calls, room broadcast for events. */
export const socketIo: BenchSystem = {
  id: 'socket-io',
  label: 'Socket.IO 4 emitWithAck',
  // JSON on the wire: a Date arrives as a string, a Map as {}.
  richTypes: false,
  async startServer({ host }) {
    const hub = new EventHub<BenchEvent>();
    const http = createServer();
    // `wsEngine` explicitly: engine.io's `require('ws').Server` default breaks under vitest's module graph.
    const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, wsEngine: WebSocketServer });
    let subscribers = 0;
    io.on('connection', (socket) => {
      socket.on('echo', (input: unknown, ack: (value: unknown) => void) => ack(input));
      socket.on('echoLarge', (input: unknown, ack: (value: unknown) => void) => ack(input));
      socket.on('sub', (ack: () => void) => {
        subscribers++;
        void socket.join('events');
        ack();
      });
      socket.on('unsub', () => {
        subscribers--;
        void socket.leave('events');
      });
      // Rooms are still readable in `disconnecting`, already empty in `disconnect`.
      socket.on('disconnecting', () => {
        if (socket.rooms.has('events')) subscribers--;
      });
    });
    // Socket.IO's room broadcast encodes each packet once for the whole room.
    hub.on((event) => io.to('events').emit('event', event));
    await new Promise<void>((resolve) => http.listen(0, host, () => resolve()));
    const address = http.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return {
      port: address.port,
      publish(count) {
        for (let seq = 0; seq < count; seq++) hub.emit(makeEvent(seq));
      },
      subscribers: () => subscribers,
      close: () =>
        new Promise<void>((resolve) => {
          io.disconnectSockets(true);
          void io.close(() => resolve());
        }),
    };
  },
  async connect({ host, port }) {
    const socket = connectIo(`ws://${host}:${port}`, { transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return {
      echo: (input) => socket.emitWithAck('echo', input),
      echoLarge: (input) => socket.emitWithAck('echoLarge', input),
      subscribe(onData) {
        socket.on('event', onData);
        socket.emit('sub', () => {});
        return () => {
          socket.off('event', onData);
          socket.emit('unsub');
        };
      },
      async close() {
        socket.disconnect();
      },
    };
  },
};
