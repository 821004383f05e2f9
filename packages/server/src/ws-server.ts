import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Duplex as NodeDuplex } from 'node:stream';
import { type AnyRouter, type Clock, type Codec, DuplexError, type InferRouterContext, SUBPROTOCOL } from '@duplex/core';
import { nanoid } from 'nanoid';
import { type RawData, WebSocketServer, type WebSocket } from 'ws';
import { type AllowedOrigins, isOriginAllowed } from './origin.js';
import { type ErrorEvent, ServerPeer, type ServerPeerOptions, type ServerTransport } from './server-peer.js';

type MaybePromise<TValue> = TValue | Promise<TValue>;

/** What `createContext` receives: the upgrade request and the client's `connectionParams`. */
export interface CreateContextOptions {
  request: IncomingMessage;
  connectionParams: Record<string, unknown> | undefined;
  connectionId: string;
}

/** Options of {@link createWsServer}. */
export interface WsServerOptions<TRouter extends AnyRouter> {
  router: TRouter;
  /** Builds the context once per connection. Throw `UNAUTHORIZED`/`FORBIDDEN` to refuse it. */
  createContext?: (opts: CreateContextOptions) => MaybePromise<InferRouterContext<TRouter>>;
  /** Browser origins allowed to connect. @default same-origin and origin-less clients only */
  allowedOrigins?: AllowedOrigins;
  /** Refuses an upgrade before it happens: return false (403) or throw a DuplexError (401/403). */
  verifyUpgrade?: (opts: { request: IncomingMessage }) => MaybePromise<boolean | undefined | void>;
  /** Send messages and stacks of unexpected errors to clients. @default false */
  exposeErrors?: boolean;
  /** Sees every error with its path and connection. */
  onError?: (event: ErrorEvent) => void;
  /** Largest accepted frame in bytes, enforced by `ws` while reading. @default 1_048_576 (1 MiB) */
  maxMessageBytes?: number;
  /** Time a new connection has to send `hello`. @default 10_000 */
  helloTimeoutMs?: number;
  /** Codecs clients may choose. @default { superjson, json } */
  codecs?: Readonly<Record<string, Codec>>;
  clock?: Clock;
}

/** Counts of what the server is holding, for health checks and leak tests. */
export interface WsServerStats {
  connections: number;
  calls: number;
  subscriptions: number;
}

/** A duplex server on Node's `ws`. */
export interface WsServer {
  /** Starts an HTTP server of its own. `port: 0` picks a free port, returned here. */
  listen(opts?: { port?: number; host?: string }): Promise<{ port: number; host: string }>;
  /** Serves WebSocket upgrades of an existing HTTP server on `path` (default: every path). */
  attach(server: HttpServer, opts?: { path?: string }): void;
  /** Stops accepting, tells clients to go elsewhere, ends calls and subscriptions, closes sockets. */
  close(opts?: { drainMs?: number }): Promise<void>;
  stats(): WsServerStats;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Default largest frame: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

function ignore(): void {}

/** The ServerTransport of one `ws` socket; holds the upgrade request until createContext used it. */
class WsTransport implements ServerTransport {
  constructor(
    readonly socket: WebSocket,
    public request: IncomingMessage | undefined,
  ) {}
  send(frame: string): void {
    this.socket.send(frame);
  }
  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
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
    perMessageDeflate: false,
    handleProtocols: () => SUBPROTOCOL,
  });
  const peers = new Map<WebSocket, ServerPeer>();
  const owned: HttpServer[] = [];
  type UpgradeListener = (request: IncomingMessage, socket: NodeDuplex, head: Buffer) => void;
  const attached: Array<{ server: HttpServer; listener: UpgradeListener }> = [];
  let closing: Promise<void> | undefined;

  // Per-connection state is kept small (memory per idle connection is a benchmark target): the
  // peer options are shared, listeners are shared functions, and the upgrade request is released
  // once createContext has seen it.
  const peerDefaults: Omit<ServerPeerOptions, 'connectionId' | 'transport'> = {
    router: options.router,
    createContext: ({ connectionParams, connectionId, transport }) => {
      const ws = transport as WsTransport;
      const request = ws.request as IncomingMessage;
      ws.request = undefined;
      return options.createContext ? options.createContext({ request, connectionParams, connectionId }) : {};
    },
    exposeErrors: options.exposeErrors,
    onError: options.onError,
    codecs: options.codecs,
    helloTimeoutMs: options.helloTimeoutMs,
    clock: options.clock,
  };

  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const peer = peers.get(this);
    if (!peer) return;
    if (isBinary) peer.receiveBinary();
    else peer.receive(data.toString());
  }

  function onClose(this: WebSocket): void {
    const peer = peers.get(this);
    peers.delete(this);
    peer?.dispose();
  }

  function onConnection(socket: WebSocket, request: IncomingMessage): void {
    // An error listener first: without one, a single malformed frame would crash the process.
    socket.on('error', ignore);
    const peer = new ServerPeer({ ...peerDefaults, connectionId: nanoid(), transport: new WsTransport(socket, request) });
    peers.set(socket, peer);
    socket.on('message', onMessage);
    socket.on('close', onClose);
  }

  async function onUpgrade(request: IncomingMessage, socket: NodeDuplex, head: Buffer): Promise<void> {
    socket.on('error', ignore);
    if (closing) return refuse(socket, 503, 'server is shutting down');
    if (!isOriginAllowed(request, options.allowedOrigins)) return refuse(socket, 403, 'origin not allowed');
    if (!offersSubprotocol(request)) return refuse(socket, 400, `unsupported subprotocol: this server speaks ${SUBPROTOCOL}`);
    if (options.verifyUpgrade) {
      try {
        if ((await options.verifyUpgrade({ request })) === false) return refuse(socket, 403, 'forbidden');
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
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request));
  }

  const server: WsServer = {
    attach(httpServer, opts = {}) {
      const listener: UpgradeListener = (request, socket, head) => {
        if (opts.path !== undefined) {
          const pathname = (request.url ?? '/').split('?')[0];
          if (pathname !== opts.path) return; // another upgrade handler may own this path
        }
        void onUpgrade(request, socket, head);
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
        if (opts.drainMs) await drainCalls(peers, opts.drainMs, options.clock);
        const sockets = [...peers.keys()];
        await Promise.all(
          sockets.map(
            (socket) =>
              new Promise<void>((resolve) => {
                if (socket.readyState === socket.CLOSED) return resolve();
                socket.once('close', () => resolve());
                socket.close(1001, 'server shutting down');
                // A peer that never answers the close handshake is cut after a short grace period.
                setTimeout(() => socket.terminate(), 1_000).unref();
              }),
          ),
        );
        for (const peer of peers.values()) peer.dispose();
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
      const stats: WsServerStats = { connections: peers.size, calls: 0, subscriptions: 0 };
      for (const peer of peers.values()) {
        const s = peer.stats;
        stats.calls += s.calls;
        stats.subscriptions += s.subscriptions;
      }
      return stats;
    },
    [Symbol.asyncDispose]() {
      return server.close();
    },
  };
  return server;
}

/** Waits until no calls are in flight or `drainMs` passes, checking as calls finish. */
async function drainCalls(peers: Map<WebSocket, ServerPeer>, drainMs: number, clock: Clock | undefined): Promise<void> {
  const deadline = (clock?.now() ?? Date.now()) + drainMs;
  const busy = () => [...peers.values()].some((peer) => peer.stats.calls > 0);
  while (busy() && (clock?.now() ?? Date.now()) < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
