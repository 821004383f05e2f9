import { sharedPeerOptions } from './shared-peer-options.js';
import { type AnyRouter, CloseCode, DuplexError, systemClock } from '@duplex/core';
import { nanoid } from 'nanoid';
import { ConnectionLimiter } from './connection-limiter.js';
import { DEFAULT_DRAIN_MS, drainCalls } from './drain.js';
import { DEFAULT_SERVER_KEEP_ALIVE, type HeartbeatSocket, HeartbeatSweeper } from './heartbeat.js';
import { IdleSweeper } from './idle-sweeper.js';
import { resolvePeerLimits } from './limits.js';
import { DEFAULT_HELLO_TIMEOUT_MS, ServerPeer, type ServerTransport, type SharedPeerOptions } from './server-peer.js';
import type { ServerStats, SocketServerOptions } from './socket-server-options.js';

/** What the hub needs from a runtime's socket: heartbeat operations and the bytes it has queued. */
export interface HubSocket extends HeartbeatSocket {
  readonly bufferedAmount: number;
}

/**
 * The runtime-neutral half of a WebSocket adapter: the peers of one server with their shared
 * options, keep-alive and idle sweepers, connection caps, drain and stats. An adapter maps its
 * runtime's socket events onto `open` / `message` / `pong` / `closed` and nothing else.
 */
export class ConnectionHub<TSocket extends HubSocket, TRequest> {
  readonly peers = new Map<TSocket, ServerPeer>();
  readonly clock;
  readonly handshakeMs: number;
  readonly limiter: ConnectionLimiter;
  /** Set once `close()` has begun: adapters refuse new upgrades with 503. */
  closing: Promise<void> | undefined;
  private readonly heartbeat: HeartbeatSweeper<TSocket> | undefined;
  private readonly idle: IdleSweeper<ServerPeer> | undefined;
  private readonly peerDefaults: SharedPeerOptions;
  /** The upgrade request of each connection, until createContext has seen it. */
  private readonly requests = new WeakMap<ServerTransport, TRequest>();
  private readonly byTransport = new WeakMap<ServerTransport, ServerPeer>();
  /** Connection-cap slots, tracked only when a cap is configured. */
  private readonly slots = new WeakMap<TSocket, () => void>();

  constructor(
    private readonly options: SocketServerOptions<AnyRouter, TRequest>,
    extra: { schedule?: ((flush: () => void) => void) | undefined } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.handshakeMs = options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;
    this.heartbeat =
      options.keepAlive === false
        ? undefined
        : new HeartbeatSweeper<TSocket>({ clock: this.clock, ...DEFAULT_SERVER_KEEP_ALIVE, ...options.keepAlive });
    this.limiter = new ConnectionLimiter(options.maxConnections, options.maxConnectionsPerIp);
    this.idle =
      options.idleTimeoutMs === undefined
        ? undefined
        : new IdleSweeper<ServerPeer>({
            clock: this.clock,
            idleTimeoutMs: options.idleTimeoutMs,
            onIdle: (peer) => peer.close(CloseCode.IDLE_TIMEOUT, 'idle timeout'),
          });
    // Per-connection state is kept small (memory per idle connection is a benchmark target): the
    // peer options are shared, and the upgrade request is released once createContext has seen it.
    const createContext: SharedPeerOptions['createContext'] = ({ connectionParams, connectionId, transport }) => {
      const request = this.requests.get(transport) as TRequest;
      this.requests.delete(transport);
      return options.createContext ? options.createContext({ request, connectionParams, connectionId }) : {};
    };
    this.peerDefaults = { ...sharedPeerOptions(options, createContext), schedule: extra.schedule };
    this.peerDefaults.limits = resolvePeerLimits(this.peerDefaults);
  }

  /** The refusal reason for one more connection from `address` (closing, or a cap reached), else undefined. */
  refusal(address: string): string | undefined {
    if (this.closing) return 'server is shutting down';
    return this.limiter.check(address);
  }

  /** Starts the peer of a socket that has just been upgraded. */
  open(socket: TSocket, transport: ServerTransport, request: TRequest, address: string): ServerPeer {
    if (this.limiter.active) this.slots.set(socket, this.limiter.acquire(address));
    this.requests.set(transport, request);
    const peer = new ServerPeer(this.peerDefaults, { connectionId: nanoid(), transport });
    this.byTransport.set(transport, peer);
    this.peers.set(socket, peer);
    this.idle?.add(peer);
    this.heartbeat?.add(socket);
    return peer;
  }

  /** Hands one frame to the socket's peer: a string is a text frame, bytes a binary frame. */
  message(socket: TSocket, data: string | Uint8Array): void {
    const peer = this.peers.get(socket);
    if (!peer) return;
    this.heartbeat?.seen(socket);
    try {
      if (typeof data === 'string') peer.receive(data);
      else peer.receiveBinary(data);
    } catch {
      // ServerPeer never throws by contract; should a bug break it, it costs this connection
      // (the client sees 1006), never the process.
      socket.terminate();
    }
  }

  /** A pong (or any sign of life the runtime reports) arrived. */
  pong(socket: TSocket): void {
    this.heartbeat?.seen(socket);
  }

  /** The socket has closed: releases its peer, slot and timers. Returns the peer it had. */
  closed(socket: TSocket): ServerPeer | undefined {
    this.slots.get(socket)?.();
    const peer = this.peers.get(socket);
    this.peers.delete(socket);
    this.heartbeat?.delete(socket);
    if (peer) this.idle?.delete(peer);
    peer?.dispose();
    return peer;
  }

  /** Ends the peer of a transport whose client stopped reading, and reports it to `onError`. */
  slowConsumer(transport: ServerTransport): void {
    const peer = this.byTransport.get(transport);
    if (!peer) return;
    peer.dispose();
    this.options.instrumentation?.slowConsumerCut?.({ connectionId: peer.id });
    const error = new DuplexError({ code: 'SERVICE_UNAVAILABLE', message: 'slow consumer: too many bytes pending, connection closed' });
    try {
      this.options.onError?.({ error, path: undefined, kind: undefined, connectionId: peer.id, ctx: undefined });
    } catch {
      // a throwing onError hook must not break the cut
    }
  }

  /**
   * Drains and closes every connection (see {@link SocketServerLifecycle.close}); `whenClosed`
   * resolves once a socket has closed (terminating it after a grace period), `stop` then releases
   * the runtime's listener. Idempotent.
   */
  close(drainMs: number | undefined, whenClosed: (socket: TSocket) => Promise<void>, stop: () => Promise<void>): Promise<void> {
    this.closing ??= (async () => {
      for (const peer of this.peers.values()) peer.goAway('server shutting down');
      await drainCalls(this.peers.values(), drainMs ?? DEFAULT_DRAIN_MS, this.clock);
      this.heartbeat?.stop();
      this.idle?.stop();
      const sockets = [...this.peers];
      // Each peer flushes what is queued, closes 1001 and aborts its subscriptions' handlers
      // (no `done`: clients resume them elsewhere from their last event id).
      for (const [, peer] of sockets) peer.close(CloseCode.GOING_AWAY, 'server shutting down');
      await Promise.all(sockets.map(([socket]) => whenClosed(socket)));
      this.peers.clear();
      await stop();
    })();
    return this.closing;
  }

  stats(): ServerStats {
    const stats: ServerStats = { connections: this.peers.size, calls: 0, subscriptions: 0, bufferedBytes: 0 };
    for (const [socket, peer] of this.peers) {
      stats.bufferedBytes += socket.bufferedAmount;
      const s = peer.stats;
      stats.calls += s.calls;
      stats.subscriptions += s.subscriptions;
    }
    return stats;
  }
}
