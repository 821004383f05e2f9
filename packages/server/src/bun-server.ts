import { type AnyRouter, DEFAULT_MAX_MESSAGE_BYTES, SUBPROTOCOL } from '@duplex/core';
import { ConnectionHub } from './connection-hub.js';
import { DEFAULT_DEVTOOLS_PATH, withDevtools } from './devtools.js';
import type { ServerPeer } from './server-peer.js';
import { DEFAULT_HIGH_WATER_MARK_BYTES, DEFAULT_MAX_BUFFERED_BYTES } from './limits.js';
import { NativeSocketTransport, type NativeSocketTransportOptions } from './native-socket-transport.js';
import type { SocketServerLifecycle, SocketServerOptions } from './socket-server-options.js';
import { trailingSchedule } from './trailing-schedule.js';
import { refuseFetchUpgrade, refusalResponse } from './upgrade-checks.js';

/** What duplex keeps in a Bun socket's `data`: the upgrade request until the socket opens, then its connection. */
export interface BunSocketData {
  /** Released once the socket has opened (createContext got it by then). */
  request: Request | undefined;
  address: string;
  connection?: NativeSocketTransport;
}

/** The part of Bun's `ServerWebSocket` the adapter uses. */
export interface BunSocket {
  readonly data: BunSocketData;
  send(data: string | Uint8Array): number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(data?: string): number;
  getBufferedAmount(): number;
}

/** The part of Bun's `Server` the adapter uses (the second argument of `fetch`). */
export interface BunServerHandle {
  upgrade(request: Request, options: { data: BunSocketData; headers?: Record<string, string> }): boolean;
  requestIP(request: Request): { address: string } | null;
}

/** The `websocket` option of `Bun.serve` that serves duplex. */
export interface BunWebSocketHandler {
  maxPayloadLength: number;
  backpressureLimit: number;
  closeOnBackpressureLimit: boolean;
  idleTimeout: number;
  sendPings: boolean;
  perMessageDeflate: boolean;
  open(ws: BunSocket): void;
  message(ws: BunSocket, message: string | Uint8Array): void;
  close(ws: BunSocket, code: number, reason: string): void;
  drain(ws: BunSocket): void;
  pong(ws: BunSocket): void;
}

/** Options of {@link createBunServer}: those of `createWsServer`, with the Fetch `Request`. */
export type BunServerOptions<TRouter extends AnyRouter> = SocketServerOptions<TRouter, Request>;

/** A duplex server on Bun's own WebSocket (`Bun.serve`). */
export interface BunServer extends SocketServerLifecycle {
  /**
   * The `fetch` of `Bun.serve`: upgrades a duplex WebSocket request (undefined then), or answers
   * with the refusal (403, 400, 401, 503) or 426 for a plain HTTP request; with `devtools` set,
   * answers the devtools page and its state on their path.
   */
  fetch(request: Request, server: BunServerHandle): Promise<Response | undefined>;
  /** The `websocket` of `Bun.serve`. */
  readonly websocket: BunWebSocketHandler;
  /** Starts `Bun.serve` of its own. `port: 0` picks a free port, returned here. */
  listen(opts?: { port?: number; host?: string }): Promise<{ port: number; host: string }>;
}

interface BunGlobal {
  serve(options: {
    port?: number;
    hostname?: string;
    fetch: BunServer['fetch'];
    websocket: BunWebSocketHandler;
  }): { port: number; hostname: string; stop(closeActiveConnections?: boolean): Promise<void> };
}

/** uWS counts queued bytes in an unsigned int; duplex applies `maxBufferedBytes` itself. */
const NO_BACKPRESSURE_LIMIT = 2 ** 31 - 1;

/**
 * Serves a router over Bun's native WebSocket. Use `listen()`, or pass `fetch` and `websocket`
 * to your own `Bun.serve` (route other paths before calling `fetch`).
 * @example
 * const duplex = createBunServer({ router: appRouter });
 * Bun.serve({ port: 3000, fetch: (req, srv) => duplex.fetch(req, srv), websocket: duplex.websocket });
 */
export function createBunServer<TRouter extends AnyRouter>(options: BunServerOptions<TRouter>): BunServer {
  // The page's own socket opens on the page's path, which the app routes to this adapter already.
  const { devtools, options: hubOptions } = withDevtools(options, {
    peers: (): Iterable<ServerPeer> => hub.peers.values(),
    endpoint: () => ({ transport: 'websocket', socketPath: options.devtools?.path ?? DEFAULT_DEVTOOLS_PATH }),
    now: (): number => hub.clock.now(),
  });
  const hub = new ConnectionHub<NativeSocketTransport, Request>(hubOptions, { schedule: trailingSchedule() });
  const listening: Array<{ stop(closeActiveConnections?: boolean): Promise<void> }> = [];
  const transportOptions: NativeSocketTransportOptions = {
    clock: hub.clock,
    highWaterMarkBytes: options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    onSlowConsumer: (transport) => hub.slowConsumer(transport),
  };

  const websocket: BunWebSocketHandler = {
    maxPayloadLength: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    backpressureLimit: NO_BACKPRESSURE_LIMIT,
    closeOnBackpressureLimit: false,
    // duplex's own keep-alive (with the injectable clock) replaces Bun's idle timeout and pings.
    idleTimeout: 0,
    sendPings: false,
    perMessageDeflate: options.perMessageDeflate ?? false,
    open(ws) {
      const connection = new NativeSocketTransport(
        {
          send: (frame) => ws.send(frame),
          close: (code, reason) => ws.close(code, reason),
          terminate: () => ws.terminate(),
          ping: () => ws.ping(),
          bufferedAmount: () => ws.getBufferedAmount(),
        },
        transportOptions,
      );
      const { request, address } = ws.data;
      ws.data.connection = connection;
      ws.data.request = undefined;
      const peer = hub.open(connection, connection, request as Request, address);
      devtools?.opened(peer, address);
    },
    message(ws, message) {
      if (ws.data.connection) hub.message(ws.data.connection, message);
    },
    close(ws) {
      const connection = ws.data.connection;
      if (!connection) return;
      hub.closed(connection);
      connection.markClosed();
    },
    drain(ws) {
      ws.data.connection?.release();
    },
    pong(ws) {
      if (ws.data.connection) hub.pong(ws.data.connection);
    },
  };

  const server: BunServer = {
    websocket,
    async fetch(request, bun) {
      const address = bun.requestIP(request)?.address ?? 'unknown';
      const page = devtools?.handleFetch(request, address);
      if (page) return page;
      const refused = await refuseFetchUpgrade(request, address, hub, options);
      if (refused) return refused;
      if (bun.upgrade(request, { data: { request, address }, headers: { 'Sec-WebSocket-Protocol': SUBPROTOCOL } })) return undefined;
      return refusalResponse({ status: 400, message: 'not a valid WebSocket upgrade' });
    },
    async listen(opts = {}) {
      const bun = (globalThis as { Bun?: BunGlobal }).Bun;
      if (!bun) throw new TypeError('duplex: createBunServer().listen() needs the Bun runtime');
      const served = bun.serve({ port: opts.port ?? 0, hostname: opts.host, fetch: server.fetch, websocket });
      listening.push(served);
      return { port: served.port, host: served.hostname };
    },
    close(opts = {}) {
      return hub.close(
        opts.drainMs,
        (connection) => connection.whenClosed(),
        async () => {
          await Promise.all(listening.map((served) => served.stop(true)));
        },
      );
    },
    stats: () => hub.stats(),
    [Symbol.asyncDispose]() {
      return server.close({ drainMs: 0 });
    },
  };
  return server;
}
