import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Duplex as NodeDuplex } from 'node:stream';
import {
  type AnyRouter,
  type Clock,
  CloseCode,
  type Codec,
  DEFAULT_MAX_MESSAGE_BYTES,
  DuplexError,
  type InferRouterContext,
  SUBPROTOCOL,
  systemClock,
} from '@duplex/core';
import { nanoid } from 'nanoid';
import type { DedupeStore } from './dedupe-store.js';
import { type RawData, WebSocketServer, type WebSocket } from 'ws';
import { DEFAULT_DRAIN_MS, drainCalls, TIMED_OUT, whenClosed, withDeadline } from './drain.js';
import { DEFAULT_SERVER_KEEP_ALIVE, HeartbeatSweeper, type KeepAliveOptions } from './heartbeat.js';
import { ConnectionLimiter } from './connection-limiter.js';
import { IdleSweeper } from './idle-sweeper.js';
import {
  DEFAULT_HIGH_WATER_MARK_BYTES,
  DEFAULT_MAX_BUFFERED_BYTES,
  type PeerLimitOptions,
  resolvePeerLimits,
  type SocketLimitOptions,
} from './limits.js';
import { type AllowedOrigins, isOriginAllowed } from './origin.js';
import { DEFAULT_HELLO_TIMEOUT_MS, type ErrorEvent, ServerPeer, type ServerPeerOptions, type ServerTransport } from './server-peer.js';
import { createSocketTransport, type SocketTransport } from './socket-transport.js';

type MaybePromise<TValue> = TValue | Promise<TValue>;

/** What `createContext` receives: the upgrade request and the client's `connectionParams`. */
export interface CreateContextOptions {
  request: IncomingMessage;
  connectionParams: Record<string, unknown> | undefined;
  connectionId: string;
}

/** Options of {@link createWsServer}. */
export interface WsServerOptions<TRouter extends AnyRouter> extends PeerLimitOptions, SocketLimitOptions {
  router: TRouter;
  /** Builds the context once per connection. Throw `UNAUTHORIZED`/`FORBIDDEN` to refuse it. */
  createContext?: (opts: CreateContextOptions) => MaybePromise<InferRouterContext<TRouter>>;
  /** Browser origins allowed to connect. @default same-origin and origin-less clients only */
  allowedOrigins?: AllowedOrigins;
  /** Refuses an upgrade before it happens: return false (403) or throw a DuplexError (401/403). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing allows the upgrade
  verifyUpgrade?: (opts: { request: IncomingMessage }) => MaybePromise<boolean | undefined | void>;
  /** Send messages and stacks of unexpected errors to clients. @default false */
  exposeErrors?: boolean;
  /**
   * Where completed mutations are remembered, so one re-sent after a lost link runs once
   * (docs/reliability.md). `false` turns exactly-once off.
   * @default the process-wide MemoryDedupeStore (10 minutes, 256 results per session)
   */
  dedupe?: DedupeStore | false;
  /**
   * After a client's `reauthenticate()`, check each live subscription again by running its
   * middleware chain with the new context; one that now throws (e.g. `FORBIDDEN`) ends with that
   * error. `false` keeps them all.
   * @default true
   */
  recheckSubscriptions?: boolean;
  /** Sees every error with its path and connection. */
  onError?: (event: ErrorEvent) => void;
  /**
   * Time a new connection has for its handshake: `verifyUpgrade` must settle within it (else HTTP
   * 503), and `hello` plus `createContext` must be done within it after the upgrade (else close
   * 4408).
   * @default 10_000
   */
  helloTimeoutMs?: number;
  /**
   * Closes a connection (code 4001) that has had no call in flight, no subscription and no new
   * request for this long; the reference client reconnects when it next has work. Checked by one
   * shared timer every `idleTimeoutMs / 4`, so a connection closes between 1× and 1.25× this.
   * @default undefined (off: dead peers are found by `keepAlive`)
   */
  idleTimeoutMs?: number;
  /** Codecs clients may choose. @default { superjson, json } */
  codecs?: Readonly<Record<string, Codec>>;
  /**
   * Protocol pings to quiet sockets; a socket that does not answer within `pongTimeoutMs` is
   * terminated. `false` turns it off. @default { intervalMs: 10_000, pongTimeoutMs: 5_000 }
   */
  keepAlive?: KeepAliveOptions | false;
  clock?: Clock;
}

/** Counts of what the server is holding, for health checks and leak tests. */
export interface WsServerStats {
  connections: number;
  calls: number;
  subscriptions: number;
  /** Outgoing bytes queued in sockets, summed over connections. */
  bufferedBytes: number;
}

/** A duplex server on Node's `ws`. */
export interface WsServer {
  /** Starts an HTTP server of its own. `port: 0` picks a free port, returned here. */
  listen(opts?: { port?: number; host?: string }): Promise<{ port: number; host: string }>;
  /** Serves WebSocket upgrades of an existing HTTP server on `path` (default: every path). */
  attach(server: HttpServer, opts?: { path?: string }): void;
  /**
   * Stops accepting (new upgrades get 503), sends `goaway` so clients reconnect elsewhere, lets
   * calls in flight finish for up to `drainMs` (default 10_000), ends subscriptions, closes every
   * socket with 1001 and terminates those that do not answer within a second.
   */
  close(opts?: { drainMs?: number }): Promise<void>;
  stats(): WsServerStats;
  [Symbol.asyncDispose](): Promise<void>;
}


function ignore(): void {}

/** A binary message as one Uint8Array (`ws` gives a Buffer with the default `binaryType`). */
function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

function refuse(socket: NodeDuplex, status: number, message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 503 ? 'Service Unavailable' : 'Bad Request'}\r\n` +
      `Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function offersSubprotocol(request: IncomingMessage): boolean {
  const header = request.headers['sec-websocket-protocol'];
  if (!header) return false;
  return header.split(',').some((p) => p.trim() === SUBPROTOCOL);
}

/**
 * Serves a router over WebSocket with the Node `ws` library.
 * @example
 * const server = createWsServer({ router: appRouter, createContext: () => ({}) });
 * const { port } = await server.listen({ port: 3000 });
 */
export function createWsServer<TRouter extends AnyRouter>(options: WsServerOptions<TRouter>): WsServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    perMessageDeflate: options.perMessageDeflate ?? false,
    handleProtocols: () => SUBPROTOCOL,
  });
  const peers = new Map<WebSocket, ServerPeer>();
  const owned: HttpServer[] = [];
  type UpgradeListener = (request: IncomingMessage, socket: NodeDuplex, head: Buffer) => void;
  const attached: Array<{ server: HttpServer; listener: UpgradeListener }> = [];
  let closing: Promise<void> | undefined;
  const clock = options.clock ?? systemClock;
  const heartbeat =
    options.keepAlive === false
      ? undefined
      : new HeartbeatSweeper<WebSocket>({ clock, ...DEFAULT_SERVER_KEEP_ALIVE, ...options.keepAlive });
  const limiter = new ConnectionLimiter(options.maxConnections, options.maxConnectionsPerIp);
  const idle =
    options.idleTimeoutMs === undefined
      ? undefined
      : new IdleSweeper<ServerPeer>({
          clock,
          idleTimeoutMs: options.idleTimeoutMs,
          onIdle: (peer) => peer.close(CloseCode.IDLE_TIMEOUT, 'idle timeout'),
        });
  const handshakeMs = options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;

  // Per-connection state is kept small (memory per idle connection is a benchmark target): the
  // peer options are shared, listeners are shared functions, and the upgrade request is released
  // once createContext has seen it.
  const peerDefaults: Omit<ServerPeerOptions, 'connectionId' | 'transport'> = {
    router: options.router,
    createContext: ({ connectionParams, connectionId, transport }) => {
      const request = requests.get(transport) as IncomingMessage;
      requests.delete(transport);
      return options.createContext ? options.createContext({ request, connectionParams, connectionId }) : {};
    },
    exposeErrors: options.exposeErrors,
    onError: options.onError,
    codecs: options.codecs,
    helloTimeoutMs: options.helloTimeoutMs,
    clock: options.clock,
    maxMessageBytes: options.maxMessageBytes,
    dedupe: options.dedupe,
    recheckSubscriptions: options.recheckSubscriptions,
    maxJsonDepth: options.maxJsonDepth,
    maxCallsInFlight: options.maxCallsInFlight,
    maxSubscriptions: options.maxSubscriptions,
    maxProtocolErrors: options.maxProtocolErrors,
    maxRequestsPerSecond: options.maxRequestsPerSecond,
    // After the whole microtask cascade: all events of one publish leave in one frame per socket.
    schedule: (flush) => process.nextTick(flush),
  };
  peerDefaults.limits = resolvePeerLimits(peerDefaults);
  const transports = new WeakMap<SocketTransport, ServerPeer>();
  const transportOptions = {
    highWaterMarkBytes: options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    onSlowConsumer: (transport: SocketTransport) => {
      const peer = transports.get(transport);
      if (!peer) return;
      peer.dispose();
      const error = new DuplexError({ code: 'SERVICE_UNAVAILABLE', message: 'slow consumer: too many bytes pending, connection closed' });
      try {
        options.onError?.({ error, path: undefined, kind: undefined, connectionId: peer.id, ctx: undefined });
      } catch {
        // a throwing onError hook must not break the cut
      }
    },
  };
  /** The upgrade request of each connection, until createContext has seen it. */
  const requests = new WeakMap<ServerTransport, IncomingMessage>();
  /** Connection-cap slots, tracked only when a cap is configured. */
  const slots = new WeakMap<WebSocket, () => void>();

  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const peer = peers.get(this);
    if (!peer) return;
    heartbeat?.seen(this);
    try {
      if (isBinary) peer.receiveBinary(toBytes(data));
      else peer.receive(data.toString());
    } catch {
      // ServerPeer never throws by contract; should a bug break it, it costs this connection
      // (the client sees 1006), never the process.
      this.terminate();
    }
  }

  function onClose(this: WebSocket): void {
    slots.get(this)?.();
    const peer = peers.get(this);
    peers.delete(this);
    heartbeat?.delete(this);
    if (peer) idle?.delete(peer);
    peer?.dispose();
    (peer?.transport as SocketTransport | undefined)?.release();
  }

  function onPong(this: WebSocket): void {
    heartbeat?.seen(this);
  }

  function onConnection(socket: WebSocket, request: IncomingMessage): void {
    // An error listener first: without one, a single malformed frame would crash the process.
    socket.on('error', ignore);
    if (limiter.active) slots.set(socket, limiter.acquire(request));
    const transport = createSocketTransport(socket, transportOptions);
    requests.set(transport, request);
    const peer = new ServerPeer(peerDefaults, { connectionId: nanoid(), transport });
    transports.set(transport, peer);
    peers.set(socket, peer);
    idle?.add(peer);
    socket.on('message', onMessage);
    socket.on('close', onClose);
    if (heartbeat) {
      heartbeat.add(socket);
      socket.on('pong', onPong);
    }
  }

  async function onUpgrade(request: IncomingMessage, socket: NodeDuplex, head: Buffer): Promise<void> {
    socket.on('error', ignore);
    if (closing) return refuse(socket, 503, 'server is shutting down');
    if (!isOriginAllowed(request, options.allowedOrigins)) return refuse(socket, 403, 'origin not allowed');
    if (!offersSubprotocol(request)) return refuse(socket, 400, `unsupported subprotocol: this server speaks ${SUBPROTOCOL}`);
    if (options.verifyUpgrade) {
      try {
        const verdict = await withDeadline(options.verifyUpgrade({ request }), handshakeMs, clock);
        if (verdict === TIMED_OUT) return refuse(socket, 503, 'upgrade verification timed out');
        if (verdict === false) return refuse(socket, 403, 'forbidden');
      } catch (cause) {
        const error = DuplexError.from(cause);
        const status = error.code === 'UNAUTHORIZED' ? 401 : error.code === 'FORBIDDEN' ? 403 : 500;
        return refuse(socket, status, status === 500 ? 'upgrade verification failed' : error.message);
      }
      if (closing || socket.destroyed) {
        socket.destroy();
        return;
      }
    }
    const overCap = limiter.check(request);
    if (overCap) return refuse(socket, 503, overCap);
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request));
  }

  const server: WsServer = {
    attach(httpServer, opts = {}) {
      const listener: UpgradeListener = (request, socket, head) => {
        if (opts.path !== undefined) {
          const pathname = (request.url ?? '/').split('?')[0];
          if (pathname !== opts.path) return; // another upgrade handler may own this path
        }
        // Same contract: a bug in the upgrade path drops this socket, not the process.
        onUpgrade(request, socket, head).catch(() => socket.destroy());
      };
      httpServer.on('upgrade', listener);
      attached.push({ server: httpServer, listener });
    },
    async listen(opts = {}) {
      const httpServer = createServer((_req, res) => {
        res.writeHead(426, { 'Content-Type': 'text/plain' }).end(`This is a duplex WebSocket endpoint (${SUBPROTOCOL}).\n`);
      });
      owned.push(httpServer);
      server.attach(httpServer);
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(opts.port ?? 0, opts.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      const address = httpServer.address();
      if (address === null || typeof address === 'string') throw new Error('server did not bind a TCP port');
      return { port: address.port, host: address.address };
    },
    close(opts = {}) {
      closing ??= (async () => {
        for (const peer of peers.values()) peer.goAway('server shutting down');
        await drainCalls(peers.values(), opts.drainMs ?? DEFAULT_DRAIN_MS, clock);
        heartbeat?.stop();
        idle?.stop();
        const sockets = [...peers];
        // Each peer flushes what is queued, closes 1001 and aborts its subscriptions' handlers
        // (no `done`: clients resume them elsewhere from their last event id).
        for (const [, peer] of sockets) peer.close(CloseCode.GOING_AWAY, 'server shutting down');
        await Promise.all(sockets.map(([socket]) => whenClosed(socket, clock)));
        peers.clear();
        for (const { server: httpServer, listener } of attached) httpServer.off('upgrade', listener);
        await Promise.all(
          owned.map((httpServer) => new Promise<void>((resolve) => httpServer.close(() => resolve()))),
        );
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      })();
      return closing;
    },
    stats() {
      const stats: WsServerStats = { connections: peers.size, calls: 0, subscriptions: 0, bufferedBytes: 0 };
      for (const [socket, peer] of peers) {
        stats.bufferedBytes += socket.bufferedAmount;
        const s = peer.stats;
        stats.calls += s.calls;
        stats.subscriptions += s.subscriptions;
      }
      return stats;
    },
    [Symbol.asyncDispose]() {
      return server.close({ drainMs: 0 });
    },
  };
  return server;
}
