import { type AnyRouter, DEFAULT_MAX_MESSAGE_BYTES, SUBPROTOCOL } from '@duplex/core';
import { ConnectionHub } from './connection-hub.js';
import { DEFAULT_DEVTOOLS_PATH, withDevtools } from './devtools.js';
import type { ServerPeer } from './server-peer.js';
import { DEFAULT_HIGH_WATER_MARK_BYTES, DEFAULT_MAX_BUFFERED_BYTES } from './limits.js';
import { NativeSocketTransport, type NativeSocketTransportOptions } from './native-socket-transport.js';
import type { SocketServerLifecycle, SocketServerOptions } from './socket-server-options.js';
import { trailingSchedule } from './trailing-schedule.js';
import { refuseFetchUpgrade } from './upgrade-checks.js';

/** Options of {@link createDenoServer}: those of `createWsServer`, with the Fetch `Request`. */
export type DenoServerOptions<TRouter extends AnyRouter> = SocketServerOptions<TRouter, Request>;

/** The second argument of a `Deno.serve` handler, as far as duplex reads it. */
export interface DenoServeInfo {
  remoteAddr?: { hostname?: string };
}

/** A duplex server on Deno's own WebSocket (`Deno.serve` + `Deno.upgradeWebSocket`). */
export interface DenoServer extends SocketServerLifecycle {
  /**
   * A `Deno.serve` handler: upgrades a duplex WebSocket request, or answers with the refusal
   * (403, 400, 401, 503) or 426 for a plain HTTP request; with `devtools` set, answers the
   * devtools page and its state on their path.
   */
  fetch(request: Request, info?: DenoServeInfo): Promise<Response>;
  /** Starts `Deno.serve` of its own. `port: 0` picks a free port, returned here. */
  listen(opts?: { port?: number; host?: string }): Promise<{ port: number; host: string }>;
}

/** The part of the WHATWG WebSocket Deno hands the server. */
interface DenoSocket {
  binaryType: string;
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
  onerror: (() => void) | null;
}

interface DenoGlobal {
  upgradeWebSocket(request: Request, options: { protocol: string; idleTimeout: number }): { socket: DenoSocket; response: Response };
  serve(
    options: { port: number; hostname?: string | undefined; onListen(): void },
    handler: (request: Request, info: DenoServeInfo) => Promise<Response>,
  ): { addr: { hostname: string; port: number }; shutdown(): Promise<void> };
}

function deno(): DenoGlobal {
  const global = (globalThis as { Deno?: DenoGlobal }).Deno;
  if (!global) throw new TypeError('duplex: createDenoServer needs the Deno runtime');
  return global;
}

/** Deno sends no "drained" event: a parked subscription re-reads `bufferedAmount` this often. */
const DRAIN_POLL_MS = 10;

/** A Deno server socket cannot send protocol pings: keep-alive sends the application-level one (protocol.md §9). */
const PING_FRAME = '{"t":"ping"}';

/** Bytes of a text frame without encoding it unless its length leaves it in doubt. */
function overLimit(data: string | Uint8Array, limit: number): boolean {
  if (typeof data !== 'string') return data.byteLength > limit;
  if (data.length > limit) return true;
  if (data.length * 3 <= limit) return false;
  return new TextEncoder().encode(data).byteLength > limit;
}

/**
 * Serves a router over Deno's native WebSocket. Use `listen()`, or call `fetch` from your own
 * `Deno.serve` handler for the path you serve duplex on.
 * @example
 * const duplex = createDenoServer({ router: appRouter });
 * Deno.serve({ port: 3000 }, duplex.fetch);
 */
export function createDenoServer<TRouter extends AnyRouter>(options: DenoServerOptions<TRouter>): DenoServer {
  // The page's own socket opens on the page's path, which the app routes to this adapter already.
  const { devtools, options: hubOptions } = withDevtools(options, {
    peers: (): Iterable<ServerPeer> => hub.peers.values(),
    endpoint: () => ({ transport: 'websocket', socketPath: options.devtools?.path ?? DEFAULT_DEVTOOLS_PATH }),
    now: (): number => hub.clock.now(),
  });
  const hub = new ConnectionHub<NativeSocketTransport, Request>(hubOptions, { schedule: trailingSchedule() });
  const listening: Array<{ shutdown(): Promise<void> }> = [];
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const transportOptions: NativeSocketTransportOptions = {
    clock: hub.clock,
    highWaterMarkBytes: options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    onSlowConsumer: (transport) => hub.slowConsumer(transport),
    drainPollMs: DRAIN_POLL_MS,
  };

  function accept(request: Request, address: string): Response {
    // duplex's keep-alive (with the injectable clock) replaces Deno's idle timeout.
    const { socket, response } = deno().upgradeWebSocket(request, { protocol: SUBPROTOCOL, idleTimeout: 0 });
    socket.binaryType = 'arraybuffer';
    const connection = new NativeSocketTransport(
      {
        send: (frame) => socket.send(frame),
        close: (code, reason) => socket.close(code, reason),
        // Deno has no terminate: a close is the closest it offers.
        terminate: () => socket.close(),
        ping: () => socket.send(PING_FRAME),
        bufferedAmount: () => socket.bufferedAmount,
      },
      transportOptions,
    );
    socket.onerror = () => {};
    socket.onopen = () => {
      const peer = hub.open(connection, connection, request, address);
      devtools?.opened(peer, address);
    };
    socket.onmessage = ({ data }) => {
      const frame = typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer);
      // Deno.upgradeWebSocket has no size option: a frame past the limit closes the connection
      // as `ws` and Bun do, before any of it is parsed.
      if (overLimit(frame, maxMessageBytes)) return connection.close(1009, 'message too big');
      hub.message(connection, frame);
    };
    socket.onclose = () => {
      hub.closed(connection);
      connection.markClosed();
    };
    return response;
  }

  const server: DenoServer = {
    async fetch(request, info) {
      const address = info?.remoteAddr?.hostname ?? 'unknown';
      const page = devtools?.handleFetch(request, address);
      if (page) return page;
      const refused = await refuseFetchUpgrade(request, address, hub, options);
      if (refused) return refused;
      return accept(request, address);
    },
    async listen(opts = {}) {
      // Deno binds before `serve` returns; `onListen` only silences its "Listening on" line.
      const served = deno().serve({ port: opts.port ?? 0, hostname: opts.host, onListen: () => {} }, server.fetch);
      listening.push(served);
      return { port: served.addr.port, host: served.addr.hostname };
    },
    close(opts = {}) {
      return hub.close(
        opts.drainMs,
        (connection) => connection.whenClosed(),
        async () => {
          await Promise.all(listening.map((served) => served.shutdown()));
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
