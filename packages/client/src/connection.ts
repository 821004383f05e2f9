import { type Clock, CloseCode, DuplexError, type HelloMessage, PROTOCOL_VERSION, SUBPROTOCOL, type TimerHandle } from '@duplex/core';
import { backoffDelay, DEFAULT_RECONNECT, type ReconnectOptions } from './backoff.js';
import type { ClientPeer } from './client-peer.js';
import type { ClientEvents, ClientState } from './types.js';
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
  clock: Clock;
  random: () => number;
}

/** Close codes after which retrying with the same parameters cannot help. */
const REFUSALS: Readonly<Record<number, DuplexError['code']>> = {
  [CloseCode.UNAUTHORIZED]: 'UNAUTHORIZED',
  [CloseCode.FORBIDDEN]: 'FORBIDDEN',
  [CloseCode.BAD_HELLO]: 'BAD_REQUEST',
};

/**
 * Owns the socket and the connection state machine: connect, hello, reconnect with backoff.
 * The protocol itself lives in {@link ClientPeer}.
 */
export class Connection {
  state: ClientState = 'connecting';
  private socket: WebSocketLike | undefined;
  private attempt = 0;
  private timer: TimerHandle | undefined;
  private readonly listeners: { [TEvent in keyof ClientEvents]: Set<(value: ClientEvents[TEvent]) => void> } = {
    state: new Set(),
    close: new Set(),
  };
  private closeWaiters: Array<() => void> = [];

  constructor(
    private readonly options: ConnectionOptions,
    private readonly peer: ClientPeer,
  ) {}

  on<TEvent extends keyof ClientEvents>(event: TEvent, listener: (value: ClientEvents[TEvent]) => void): () => void {
    const set = this.listeners[event] as Set<(value: ClientEvents[TEvent]) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Opens the first socket (or the next one, on demand after a refusal). */
  start(): void {
    if (this.socket || this.timer !== undefined || this.closing) return;
    void this.connect();
  }

  /** The server accepted the hello. */
  onReady(): void {
    if (this.closing) return;
    this.attempt = 0;
    this.setState('open');
  }

  private closing = false;

  /** Closes for good. Resolves once the socket has closed (bounded wait). */
  close(): Promise<void> {
    this.closing = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.peer.close();
    this.setState('closed');
    if (!socket || socket.readyState === 3) {
      this.socket = undefined;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const guard = this.options.clock.setTimeout(() => {
        this.socket = undefined;
        finish();
      }, 1_000);
      const finish = () => {
        this.options.clock.clearTimeout(guard);
        resolve();
      };
      this.closeWaiters.push(finish);
      try {
        socket.close(CloseCode.NORMAL, 'client closed');
      } catch {
        finish();
      }
    });
  }

  private setState(state: ClientState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of [...this.listeners.state]) listener(state);
  }

  private async connect(): Promise<void> {
    this.timer = undefined;
    this.setState(this.attempt === 0 && this.state === 'connecting' ? 'connecting' : 'reconnecting');
    let params: Record<string, unknown> | undefined;
    try {
      const source = this.options.connectionParams;
      params = (typeof source === 'function' ? await source() : source) ?? undefined;
    } catch {
      // connectionParams() failed (token endpoint down?): count it as a failed attempt.
      if (!this.closing) this.retry();
      return;
    }
    if (this.closing) return;
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(this.options.url, SUBPROTOCOL);
    } catch (cause) {
      this.peer.detach(new DuplexError({ code: 'BAD_REQUEST', message: `cannot open ${this.options.url}`, cause }));
      this.setState('closed');
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      const hello: HelloMessage = { t: 'hello', v: PROTOCOL_VERSION, codec: this.options.codecName };
      if (params) hello.params = params;
      this.peer.attach((frame) => socket.send(frame), hello);
    };
    socket.onmessage = (event) => {
      if (this.socket === socket && typeof event.data === 'string') this.peer.receive(event.data);
    };
    socket.onerror = () => {}; // a close event always follows
    socket.onclose = (event) => this.onSocketClose(socket, event.code, event.reason);
  }

  private onSocketClose(socket: WebSocketLike, code: number, reason: string): void {
    socket.onopen = socket.onmessage = socket.onclose = null;
    if (this.socket === socket) this.socket = undefined;
    for (const listener of [...this.listeners.close]) listener({ code, reason });
    const waiters = this.closeWaiters.splice(0);
    for (const resolve of waiters) resolve();
    if (this.closing) return;
    const refusal = REFUSALS[code];
    if (refusal) {
      // Retrying with the same credentials would loop: fail what is pending and wait for the
      // next call or subscribe, which reconnects with freshly evaluated connectionParams.
      this.peer.detach(new DuplexError({ code: refusal, message: reason || `connection refused (${code})` }));
      this.attempt = 0;
      this.setState('closed');
      return;
    }
    this.peer.detach();
    this.retry();
  }

  private retry(): void {
    const reconnect = this.options.reconnect;
    if (reconnect === false || this.attempt >= reconnect.maxAttempts) {
      this.peer.detach(new DuplexError({ code: 'SERVICE_UNAVAILABLE', message: 'connection lost and not reconnecting', retryable: true }));
      this.attempt = 0;
      this.setState('closed');
      return;
    }
    const delay = backoffDelay(this.attempt, reconnect, this.options.random);
    this.attempt++;
    this.setState('reconnecting');
    this.timer = this.options.clock.setTimeout(() => void this.connect(), delay);
  }
}

export { DEFAULT_RECONNECT };
