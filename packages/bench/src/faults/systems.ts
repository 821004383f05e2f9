import { createServer, type Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { createClient } from '@duplex/client';
import { createWsServer, initDuplex, tracked } from '@duplex/server';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { tracked as trpcTracked, initTRPC } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { Server as IoServer } from 'socket.io';
import { io as connectIo } from 'socket.io-client';
import superjson from 'superjson';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { type SeqClock, seqAfter, seqStream } from './source.js';

/** One server instance; `crash()` kills it the way a dead process would. */
export interface FaultServer {
  port: number;
  /** Destroys every TCP socket (no close frame, no goaway), closes the listener, frees timers. */
  crash(): Promise<void>;
}

export interface FaultClient {
  close(): Promise<void>;
}

/** A system under test: a server publishing the seq stream, a client reporting each seq it gets. */
export interface FaultSystem {
  id: string;
  label: string;
  /** What the row measures beyond "defaults". */
  notes: string;
  /** Starts a server on 127.0.0.1 (`port: 0` picks one). */
  startServer(clock: SeqClock, port: number): Promise<FaultServer>;
  /**
   * Connects to `127.0.0.1:port` (the proxy) and subscribes. `onOpen` is called each time a new
   * link opens, before any event on it, so events still buffered from a dead link can be told apart.
   */
  connect(port: number, onSeq: (seq: number) => void, onOpen: () => void): FaultClient;
}

const HOST = '127.0.0.1';

/** An HTTP server that remembers its sockets so a crash can destroy them all at once. */
async function crashableHttp(port: number): Promise<{ http: HttpServer; port: number; kill: () => Promise<void> }> {
  const http = createServer();
  const sockets = new Set<Socket>();
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, HOST, () => resolve());
  });
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    http,
    port: address.port,
    kill: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      }),
  };
}

/** The `seq` in whatever shape a client hands its events over (`{ seq }` or tRPC's `{ id, data: { seq } }`). */
function seqOf(value: unknown): number {
  const v = value as { seq?: unknown; data?: { seq?: unknown } };
  const seq = typeof v.seq === 'number' ? v.seq : v.data?.seq;
  if (typeof seq !== 'number') throw new Error(`event without a seq: ${JSON.stringify(value)}`);
  return seq;
}

// ---- duplex -------------------------------------------------------------------------------

const d = initDuplex.create();
function duplexRouter(clock: SeqClock) {
  return d.router({
    events: d.procedure.subscription(async function* ({ lastEventId, signal }) {
      for await (const seq of seqStream(clock, seqAfter(lastEventId), signal)) yield tracked(String(seq), { seq });
    }),
  });
}
type DuplexFaultRouter = ReturnType<typeof duplexRouter>;

/** duplex with default server and client options (reconnect, keepAlive, codec). */
export const duplexFaults: FaultSystem = {
  id: 'duplex',
  label: 'duplex (defaults)',
  notes: 'tracked() + lastEventId resume',
  async startServer(clock, port) {
    const server = createWsServer({ router: duplexRouter(clock), createContext: () => ({}) });
    const http = await crashableHttp(port);
    server.attach(http.http);
    return {
      port: http.port,
      async crash() {
        await http.kill();
        // No socket is left, so nothing is sent; this only frees the server's timers.
        await server.close({ drainMs: 0 });
      },
    };
  },
  connect(port, onSeq, onOpen) {
    const client = createClient<DuplexFaultRouter>({ url: `ws://${HOST}:${port}`, WebSocket });
    client.on('state', (state) => {
      if (state === 'open') onOpen();
    });
    client.events.subscribe(undefined, { onData: (event) => onSeq(event.seq) });
    return { close: () => client.close() };
  },
};

// ---- tRPC v11 -----------------------------------------------------------------------------

const t = initTRPC.create({ transformer: superjson });
function trpcRouter(clock: SeqClock) {
  return t.router({
    // tRPC 11 passes the last tracked id back as `input.lastEventId` when wsLink resubscribes.
    events: t.procedure.input(z.object({ lastEventId: z.string().nullish() }).optional()).subscription(async function* ({ input, signal }) {
      if (!signal) throw new Error('tRPC gave the subscription no signal');
      for await (const seq of seqStream(clock, seqAfter(input?.lastEventId), signal)) yield trpcTracked(String(seq), { seq });
    }),
  });
}
type TrpcFaultRouter = ReturnType<typeof trpcRouter>;

/** tRPC v11: `applyWSSHandler` and `createWSClient` + `wsLink`, all options at their defaults. */
export const trpcFaults: FaultSystem = {
  id: 'trpc',
  label: 'tRPC v11 (defaults)',
  notes: 'tracked() + input.lastEventId resume; keepAlive off by default',
  async startServer(clock, port) {
    const http = await crashableHttp(port);
    const wss = new WebSocketServer({ server: http.http, perMessageDeflate: false });
    applyWSSHandler({ wss, router: trpcRouter(clock) });
    return {
      port: http.port,
      async crash() {
        await http.kill();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      },
    };
  },
  connect(port, onSeq, onOpen) {
    const wsClient = createWSClient({ url: `ws://${HOST}:${port}`, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, onOpen });
    const client = createTRPCClient<TrpcFaultRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
    client.events.subscribe(undefined, { onData: (event) => onSeq(seqOf(event)) });
    return { close: () => wsClient.close() };
  },
};

// ---- Socket.IO 4 --------------------------------------------------------------------------

function socketIoSystem(recovery: boolean): FaultSystem {
  return {
    id: recovery ? 'socket-io-csr' : 'socket-io',
    label: recovery ? 'Socket.IO 4 + connectionStateRecovery' : 'Socket.IO 4 (defaults)',
    notes: recovery
      ? 'io.emit broadcast; missed packets replayed from server memory (default 2 min)'
      : 'io.emit broadcast; no resume (events sent while away are lost)',
    async startServer(clock, port) {
      const http = await crashableHttp(port);
      // `wsEngine` explicitly: engine.io's `require('ws').Server` default breaks under vitest's module graph.
      const io = new IoServer(http.http, {
        serveClient: false,
        wsEngine: WebSocketServer,
        ...(recovery ? { connectionStateRecovery: {} } : {}),
      });
      // A fresh server has no cursor per client: it broadcasts from the newest seq on.
      let sent = clock.current();
      const ticker = setInterval(() => {
        const now = clock.current();
        while (sent < now) io.emit('event', { seq: ++sent });
      }, clock.periodMs);
      return {
        port: http.port,
        async crash() {
          clearInterval(ticker);
          await http.kill();
          // Also closes the (already closed) HTTP server, which may report that it was not running.
          await io.close().catch(() => {});
        },
      };
    },
    connect(port, onSeq, onOpen) {
      // WebSocket transport only (the comparison is over WebSocket); reconnection options are the defaults.
      const socket = connectIo(`http://${HOST}:${port}`, { transports: ['websocket'], forceNew: true });
      // The manager's engine connection opens before the Socket.IO CONNECT packet and any event.
      socket.io.on('open', onOpen);
      socket.on('event', (event: unknown) => onSeq(seqOf(event)));
      return {
        async close() {
          socket.disconnect();
        },
      };
    },
  };
}

export const socketIoFaults: FaultSystem = socketIoSystem(false);
export const socketIoRecoveryFaults: FaultSystem = socketIoSystem(true);

export const faultSystems: readonly FaultSystem[] = [duplexFaults, trpcFaults, socketIoFaults, socketIoRecoveryFaults];
