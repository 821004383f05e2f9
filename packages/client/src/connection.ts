import { type Clock, CloseCode, DuplexError, type HelloMessage, PROTOCOL_VERSION, SUBPROTOCOL, type TimerHandle } from '@duplex/core';
import { backoffDelay, DEFAULT_RECONNECT, type ReconnectOptions } from './backoff.js';
import type { ClientPeer } from './client-peer.js';
import { Heartbeat } from './heartbeat.js';
import { createIdleTimer, type IdleTimer } from './idle-timer.js';
import { guarded } from './user-callback.js';
import type { ClientEvents, ClientState } from './types.js';
import { listenForWakeHints, type WakeReason } from './wake-hints.js';
import type { WebSocketConstructor, WebSocketLike } from './web-socket.js';

type MaybePromise<TValue> = TValue | Promise<TValue>;

/** Params sent in `hello`: a value or a (possibly async) function re-evaluated on every connect. */
export type ConnectionParams =
  | Record<string, unknown>
  | (() => MaybePromise<Record<string, unknown> | undefined | null>)
  | undefined;

/** What the connection needs to open sockets. */
export interface ConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  connectionParams: ConnectionParams;
  codecName: string;
  reconnect: Required<ReconnectOptions> | false;
  keepAlive: { intervalMs: number; pongTimeoutMs: number } | false;
  /** Lazy mode: no socket until there is work; closed after `idleMs` without any. */
  lazy: { idleMs: number } | false;
  clock: Clock;
  random: () => number;
}

/** A received message as the peer takes it: text as a string, binary (ArrayBuffer, Buffer, view) as bytes. */
function toFrame(data: unknown): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data as ArrayBuffer);
}

/** Close codes after which retrying with the same parameters cannot help. */
const REFUSALS: Readonly<Record<number, DuplexError['code']>> = {
  [CloseCode.UNAUTHORIZED]: 'UNAUTHORIZED',
  [CloseCode.FORBIDDEN]: 'FORBIDDEN',
  [CloseCode.BAD_HELLO]: 'BAD_REQUEST',
};

/**
 * Lets go of a socket: no more events from it, and a close that cannot throw. A healthy link
 * (idle, goaway, closing the client) is closed politely; a dead one is cut with `terminate()`
 * where the runtime has it, else closed with `code`.
 */
function shut(socket: WebSocketLike, healthy: boolean, reason: string, code?: number): void {
  socket.onopen = socket.onmessage = socket.onclose = null;
  try {
    if (healthy) socket.close(CloseCode.NORMAL, reason);
    else if (socket.terminate) socket.terminate();
    else socket.close(code, reason);
  } catch {
    // Already closing: nothing more to do with this socket.
  }
}

/** How long `close()` waits for the closing handshake before cutting the socket. */
const CLOSE_GRACE_MS = 1_000;

/**
 * Owns the socket and the connection state machine: connect, hello, heartbeat, reconnect with
 * backoff, goaway, lazy idle-close. The protocol itself lives in {@link ClientPeer}.
 */
export class Connection {
  state: ClientState;
  #socket: WebSocketLike | undefined;
  #attempt = 0;
  /** A 4401 was answered with one immediate reconnect (fresh connectionParams); the next one fails. */
  #refreshed = false;
  #timer: TimerHandle | undefined;
  #closing = false;
  /** The current socket's link number in the peer (0 until it opened). */
  #link = 0;
  /**
   * After `goaway`: the draining socket, kept until its calls in flight have settled while a new
   * socket opens beside it (make-before-break).
   */
  #old: { socket: WebSocketLike; link: number } | undefined;
  readonly #heartbeat: Heartbeat | undefined;
  readonly #idle: IdleTimer | undefined;
  readonly #removeWakeHints: () => void;
  readonly #listeners: { [TEvent in keyof ClientEvents]: Set<(value: ClientEvents[TEvent]) => void> } = {
    state: new Set(),
    close: new Set(),
  };
  #closeWaiters: Array<() => void> = [];

  readonly #options: ConnectionOptions;
  readonly #peer: ClientPeer;

  constructor(options: ConnectionOptions, peer: ClientPeer) {
    this.#options = options;
    this.#peer = peer;
    this.state = options.lazy ? 'closed' : 'connecting';
    const { keepAlive, lazy, clock } = options;
    if (keepAlive) {
      this.#heartbeat = new Heartbeat({
        clock,
        ...keepAlive,
        ping: () => {
          if (this.#socket?.readyState === 1) peer.ping();
        },
        onTimeout: () => {
          if (this.#socket) this.#lose(this.#socket, CloseCode.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
        },
      });
    }
    if (lazy) this.#idle = createIdleTimer(clock, lazy.idleMs, () => this.#onIdle());
    this.#removeWakeHints = listenForWakeHints((reason) => this.#onWake(reason));
  }

  on<TEvent extends keyof ClientEvents>(event: TEvent, listener: (value: ClientEvents[TEvent]) => void): () => void {
    const set = this.#listeners[event] as Set<(value: ClientEvents[TEvent]) => void>;
    // A throwing listener must not stop the state machine (a reconnect, the other listeners).
    const safe = guarded(listener);
    set.add(safe);
    return () => set.delete(safe);
  }

  /** Opens the first socket (or the next one, on demand after a refusal or an idle close). */
  start(): void {
    this.#idle?.cancel();
    if (this.#socket || this.#timer !== undefined || this.#closing || this.#connecting) return;
    void this.#connect();
  }

  /**
   * Evaluates `connectionParams` again and sends them over the open connection; resolves once the
   * server's context is swapped (see {@link ClientPeer.authenticate}).
   */
  async reauthenticate(): Promise<void> {
    return this.#peer.authenticate(await this.#params());
  }

  /** Evaluates `connectionParams` (a function again on every use). */
  async #params(): Promise<Record<string, unknown> | undefined> {
    const source = this.#options.connectionParams;
    return (typeof source === 'function' ? await source() : source) ?? undefined;
  }

  /** No call pending and no subscription live. */
  #quiet(): boolean {
    const { calls, subscriptions } = this.#peer.stats;
    return calls + subscriptions === 0;
  }

  #emitClose(code: number, reason: string): void {
    for (const listener of [...this.#listeners.close]) listener({ code, reason });
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The server accepted the hello. */
  onReady(): void {
    if (this.#closing) return;
    this.#attempt = 0;
    this.#refreshed = false;
    this.#setState('open');
    this.onSettle();
  }

  /**
   * The server is draining: new work waits for a new socket, opened now (after a jittered delay,
   * so clients told at once spread out) beside the old one. When it is ready, subscriptions move
   * to it; the old one closes once its calls in flight have settled.
   */
  onGoAway(): void {
    if (this.#closing || !this.#socket || this.#old || this.#link === 0 || this.#options.reconnect === false) return;
    // Lazy and idle: no need for a new socket, just leave.
    if (this.#idle && this.#quiet()) return this.#lose(this.#socket, CloseCode.GOING_AWAY, 'goaway', true);
    this.#peer.hold();
    this.#old = { socket: this.#socket, link: this.#link };
    this.#socket = undefined;
    this.#link = 0;
    this.#heartbeat?.stop();
    this.#attempt = 0;
    this.#retry();
  }

  /** A call settled or a subscription ended. */
  onSettle(): void {
    if (this.#closing) return;
    const old = this.#old;
    if (old && this.#link !== 0 && this.#peer.inFlightOn(old.link) === 0) {
      this.#old = undefined;
      this.#dropOld(old, CloseCode.GOING_AWAY, 'goaway');
    }
    if (this.#idle && !this.#old && this.#socket && this.state === 'open' && this.#quiet()) this.#idle.idle();
  }

  /** Closes for good, in any state. Resolves once the socket has closed (bounded wait). */
  close(): Promise<void> {
    this.#closing = true;
    this.#stopTimer();
    this.#heartbeat?.stop();
    this.#idle?.cancel();
    this.#removeWakeHints();
    if (this.#old) shut(this.#old.socket, true, 'client closed');
    this.#old = undefined;
    const socket = this.#socket;
    this.#peer.close();
    this.#setState('closed');
    if (!socket || socket.readyState === 3) {
      this.#socket = undefined;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const guard = this.#options.clock.setTimeout(() => {
        // The closing handshake did not finish (dead link): cut the socket instead of waiting.
        socket.terminate?.();
        this.#socket = undefined;
        finish();
      }, CLOSE_GRACE_MS);
      const finish = () => {
        this.#options.clock.clearTimeout(guard);
        resolve();
      };
      this.#closeWaiters.push(finish);
      try {
        socket.close(CloseCode.NORMAL, 'client closed');
      } catch {
        finish();
      }
    });
  }

  #setState(state: ClientState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of [...this.#listeners.state]) listener(state);
  }

  /** True while connectionParams are being evaluated for the next socket. */
  #connecting = false;

  async #connect(): Promise<void> {
    this.#timer = undefined;
    // During a goaway handover the old socket still serves: the state stays 'open'.
    if (!this.#old) this.#setState(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    let params: Record<string, unknown> | undefined;
    this.#connecting = true;
    try {
      params = await this.#params();
    } catch {
      // connectionParams() failed (token endpoint down?): count it as a failed attempt.
      this.#connecting = false;
      if (!this.#closing) this.#retry();
      return;
    }
    this.#connecting = false;
    if (this.#closing) return;
    let socket: WebSocketLike;
    try {
      socket = new this.#options.WebSocket(this.#options.url, SUBPROTOCOL);
    } catch (cause) {
      this.#peer.detach(new DuplexError({ code: 'BAD_REQUEST', message: `cannot open ${this.#options.url}`, cause }));
      this.#setState('closed');
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    this.#link = 0;
    let link = 0;
    /** Frames waiting behind a Blob being read, so frames reach the peer in order. */
    let queue: Promise<void> | undefined;
    this.#heartbeat?.start();
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#heartbeat?.received();
      const hello: HelloMessage = { t: 'hello', v: PROTOCOL_VERSION, codec: this.#options.codecName };
      if (params) hello.params = params;
      link = this.#link = this.#peer.attach((frame) => socket.send(frame), hello);
    };
    socket.onmessage = ({ data }) => {
      if (this.#socket === socket) this.#heartbeat?.received();
      else if (this.#old?.socket !== socket) return;
      // A WebSocket that ignores binaryType hands over a Blob, which reads asynchronously.
      if (queue || (typeof Blob === 'function' && data instanceof Blob)) {
        const next: Promise<void> = (queue ?? Promise.resolve())
          .then(() => (data instanceof Blob ? data.arrayBuffer() : data))
          .then((ready) => this.#peer.receive(toFrame(ready), link), () => {})
          .then(() => {
            if (queue === next) queue = undefined;
          });
        queue = next;
      } else {
        this.#peer.receive(toFrame(data), link);
      }
    };
    socket.onerror = () => {}; // a close event always follows
    socket.onclose = (event) => {
      socket.onopen = socket.onmessage = socket.onclose = null;
      if (this.#socket === socket) this.#onLost(event.code, event.reason);
      else if (this.#old?.socket === socket) {
        // The draining server closed before our calls there settled: they fail (retryable).
        this.#old = undefined;
        this.#dropOld({ socket, link }, event.code, event.reason);
      }
      const waiters = this.#closeWaiters.splice(0);
      for (const resolve of waiters) resolve();
    };
  }

  /** Lets go of the draining socket of a handover. */
  #dropOld(old: { socket: WebSocketLike; link: number }, code: number, reason: string): void {
    shut(old.socket, true, 'goaway');
    this.#peer.detach(undefined, old.link);
    this.#emitClose(code, reason);
    // The new socket is not ready yet: nothing serves this client until it is.
    if (this.#link === 0 && !this.#closing) this.#setState('reconnecting');
  }

  /**
   * Gives up on a socket without waiting for its close event: on a dead link that event comes
   * only after the closing handshake times out (30 s in `ws`), so `terminate()` where possible.
   */
  #lose(socket: WebSocketLike, code: number, reason: string, healthy = false): void {
    shut(socket, healthy, reason, code);
    // Leaving a healthy link on purpose is no failure: the backoff starts over.
    if (healthy) this.#attempt = 0;
    this.#onLost(code, reason);
  }

  #onLost(code: number, reason: string): void {
    this.#socket = undefined;
    const link = this.#link;
    this.#link = 0;
    this.#heartbeat?.stop();
    this.#idle?.cancel();
    // A socket still connecting when the app closed the client was never a connection: no close event
    // for it (it would arrive after close() resolved and after the subscriptions' onComplete).
    if (this.#closing && link === 0) return;
    this.#emitClose(code, reason);
    if (this.#closing) return;
    const refusal = REFUSALS[code];
    if (code === CloseCode.UNAUTHORIZED && !this.#refreshed && this.#options.reconnect !== false) {
      // Credentials expired: one attempt at once with freshly evaluated connectionParams (a token
      // refresh), keeping what is pending. A second refusal in a row fails it (below): no loop.
      this.#refreshed = true;
      this.#peer.detach(undefined, link);
      this.#setState('reconnecting');
      void this.#connect();
      return;
    }
    if (refusal) {
      // Retrying with the same credentials would loop: fail what is pending and wait for the
      // next call or subscribe, which reconnects with freshly evaluated connectionParams.
      this.#refreshed = false;
      this.#peer.detach(new DuplexError({ code: refusal, message: reason || `connection refused (${code})` }), link);
      this.#attempt = 0;
      this.#setState('closed');
      return;
    }
    // 1009: a frame was over the server's size limit. Sending the calls in flight again would
    // only repeat it, so they fail for good (the limit in `ready` normally stops this earlier).
    const tooBig =
      code === CloseCode.MESSAGE_TOO_BIG
        ? new DuplexError({
            code: 'PAYLOAD_TOO_LARGE',
            message: `the server closed the connection with 1009 (message too big)${reason ? `: ${reason}` : ''}; this call was in flight`,
            retryable: false,
          })
        : undefined;
    this.#peer.detach(undefined, link, tooBig);
    // A server that said goodbye (1001) is being replaced: start the backoff over.
    if (code === CloseCode.GOING_AWAY) this.#attempt = 0;
    // Lazy mode, or the server closed an idle connection: reconnect when there is work again.
    if ((this.#options.lazy || code === CloseCode.IDLE_TIMEOUT) && this.#quiet()) {
      this.#attempt = 0;
      this.#setState('closed');
      return;
    }
    this.#retry();
  }

  #retry(): void {
    const reconnect = this.#options.reconnect;
    if (reconnect === false || this.#attempt >= reconnect.maxAttempts) {
      this.#peer.detach(new DuplexError({ code: 'SERVICE_UNAVAILABLE', message: 'connection lost and not reconnecting', retryable: true }));
      this.#attempt = 0;
      this.#setState('closed');
      return;
    }
    const delay = backoffDelay(this.#attempt, reconnect, this.#options.random);
    this.#attempt++;
    if (!this.#old) this.#setState('reconnecting');
    this.#timer = this.#options.clock.setTimeout(() => void this.#connect(), delay);
  }

  /** Lazy mode: nothing has been live for `idleMs`. */
  #onIdle(): void {
    // With nothing live, onLost goes to 'closed' instead of reconnecting.
    if (!this.#closing && this.#socket && this.#quiet()) this.#lose(this.#socket, CloseCode.NORMAL, 'idle', true);
  }

  /** Browser hints: reconnect now instead of waiting out the backoff, or check a quiet link. */
  #onWake(_reason: WakeReason): void {
    if (this.#closing) return;
    if (this.#timer !== undefined) {
      this.#stopTimer();
      void this.#connect();
      return;
    }
    if (this.state === 'open') this.#heartbeat?.checkNow();
  }
}

export { DEFAULT_RECONNECT };
