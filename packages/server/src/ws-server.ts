import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Duplex as NodeDuplex } from 'node:stream';
import { type AnyRouter, DEFAULT_MAX_MESSAGE_BYTES, SUBPROTOCOL } from '@duplex/core';
import { type RawData, WebSocketServer, type WebSocket } from 'ws';
import { ConnectionHub } from './connection-hub.js';
import type { ServerPeer } from './server-peer.js';
import { withDevtools } from './devtools.js';
import { whenClosed } from './drain.js';
import { DEFAULT_HIGH_WATER_MARK_BYTES, DEFAULT_MAX_BUFFERED_BYTES } from './limits.js';
import type {
  CreateContextOptions as SocketCreateContextOptions,
  ServerStats,
  SocketServerLifecycle,
  SocketServerOptions,
} from './socket-server-options.js';
import { createSocketTransport, type SocketTransport } from './socket-transport.js';
import { checkUpgrade, statusText, type UpgradeRefusal } from './upgrade-checks.js';

/** What `createContext` receives on Node: the upgrade request and the client's `connectionParams`. */
export type CreateContextOptions = SocketCreateContextOptions<IncomingMessage>;

/** Options of {@link createWsServer}; `maxMessageBytes` is enforced by `ws` while reading. */
export type WsServerOptions<TRouter extends AnyRouter> = SocketServerOptions<TRouter, IncomingMessage>;

/** Counts of what the server is holding, for health checks and leak tests. */
export type WsServerStats = ServerStats;

/** A duplex server on Node's `ws`. */
export interface WsServer extends SocketServerLifecycle {
  /** Starts an HTTP server of its own. `port: 0` picks a free port, returned here. */
  listen(opts?: { port?: number; host?: string }): Promise<{ port: number; host: string }>;
  /** Serves WebSocket upgrades of an existing HTTP server on `path` (default: every path). */
  attach(server: HttpServer, opts?: { path?: string }): void;
  /**
   * With `devtools` set, answers a request for the devtools page and returns true; false (and the
   * response untouched) otherwise. `listen()` calls it itself; with `attach()`, call it first in
   * your own request handler.
   */
  handleDevtools(request: IncomingMessage, response: ServerResponse): boolean;
}

function ignore(): void {}

/** A binary message as one Uint8Array (`ws` gives a Buffer with the default `binaryType`). */
function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

function refuse(socket: NodeDuplex, { status, message }: UpgradeRefusal): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${statusText(status)}\r\n` +
      `Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function addressOf(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
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
  let socketPath = '/';
  const { devtools, options: hubOptions } = withDevtools(options, {
    peers: (): Iterable<ServerPeer> => hub.peers.values(),
    endpoint: () => ({ transport: 'websocket', socketPath }),
    now: (): number => hub.clock.now(),
  });
  // After the whole microtask cascade: all events of one publish leave in one frame per socket.
  const hub = new ConnectionHub<WebSocket, IncomingMessage>(hubOptions, { schedule: (flush) => process.nextTick(flush) });
  const owned: HttpServer[] = [];
  type UpgradeListener = (request: IncomingMessage, socket: NodeDuplex, head: Buffer) => void;
  const attached: Array<{ server: HttpServer; listener: UpgradeListener }> = [];
  const transportOptions = {
    highWaterMarkBytes: options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    onSlowConsumer: (transport: SocketTransport) => hub.slowConsumer(transport),
  };

  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    hub.message(this, isBinary ? toBytes(data) : data.toString());
  }

  function onClose(this: WebSocket): void {
    (hub.closed(this)?.transport as SocketTransport | undefined)?.release();
  }

  function onPong(this: WebSocket): void {
    hub.pong(this);
  }

  function onConnection(socket: WebSocket, request: IncomingMessage): void {
    // An error listener first: without one, a single malformed frame would crash the process.
    socket.on('error', ignore);
    const peer = hub.open(socket, createSocketTransport(socket, transportOptions), request, addressOf(request));
    devtools?.opened(peer, addressOf(request));
    socket.on('message', onMessage);
    socket.on('close', onClose);
    if (options.keepAlive !== false) socket.on('pong', onPong);
  }

  async function onUpgrade(request: IncomingMessage, socket: NodeDuplex, head: Buffer): Promise<void> {
    socket.on('error', ignore);
    if (hub.closing) return refuse(socket, { status: 503, message: 'server is shutting down' });
    const { origin, host } = request.headers;
    const refusal = await checkUpgrade(
      { request, origin, host, protocols: request.headers['sec-websocket-protocol'] },
      { allowedOrigins: options.allowedOrigins, verifyUpgrade: options.verifyUpgrade, handshakeMs: hub.handshakeMs, clock: hub.clock },
    );
    if (refusal) return refuse(socket, refusal);
    if (socket.destroyed) return;
    const overCap = hub.refusal(addressOf(request));
    if (overCap) {
      if (hub.closing) return void socket.destroy();
      return refuse(socket, { status: 503, message: overCap });
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request));
  }

  const server: WsServer = {
    attach(httpServer, opts = {}) {
      if (opts.path !== undefined) socketPath = opts.path;
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
      const httpServer = createServer((req, res) => {
        if (devtools?.handle(req, res)) return;
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
      return hub.close(
        opts.drainMs,
        (socket) => whenClosed(socket, hub.clock),
        async () => {
          for (const { server: httpServer, listener } of attached) httpServer.off('upgrade', listener);
          await Promise.all(owned.map((httpServer) => new Promise<void>((resolve) => httpServer.close(() => resolve()))));
          await new Promise<void>((resolve) => wss.close(() => resolve()));
        },
      );
    },
    stats: () => hub.stats(),
    handleDevtools: (request, response) => devtools?.handle(request, response) ?? false,
    [Symbol.asyncDispose]() {
      return server.close({ drainMs: 0 });
    },
  };
  return server;
}
