import {
  type AttachmentReader,
  type CallKind,
  type Clock,
  type Codec,
  decodeFrame,
  DuplexError,
  type ErrorShape,
  type HelloMessage,
  isErrorCode,
  parseServerMessage,
  type ReadyMessage,
  type ServerMessage,
  type TraceContext,
} from '@duplex/core';
import type { BinarySupport } from './binary.js';
import type { CreditFlow } from './credit-flow.js';
import { PeerCalls } from './peer-calls.js';
import { closedError, PeerLink, UNSTATED_LIMITS } from './peer-link.js';
import { PeerSubscriptions } from './peer-subscriptions.js';
import { createSessionId } from './session-id.js';
import type { CallOptions, SubscribeOptions } from './types.js';

export { DEFAULT_MAX_QUEUED_CALLS } from './peer-calls.js';

/** Options of a {@link ClientPeer}. */
export interface ClientPeerOptions {
  codec: Codec;
  clock: Clock;
  /** Default per-call deadline. @default undefined (none) */
  timeoutMs?: number | undefined;
  /** Called when there is something to send and no connection (lazy connect). */
  onDemand?: (() => void) | undefined;
  /** Called for `ready` and `goaway` messages, and `auth` answers stating an expiry. */
  onServerNotice?: ((message: ServerMessage) => void) | undefined;
  /** Calls waiting in the client (for a connection, or for a slot under the server's `maxCallsInFlight`); one more fails with `TOO_MANY_REQUESTS`. @default 50_000 */
  maxQueuedCalls?: number | undefined;
  /** Times a query in flight on a lost connection is re-sent instead of failing. @default 0 */
  retryQueries?: number | undefined;
  /** Called whenever a call settles or a subscription ends (lazy idle-close, goaway drain). */
  onSettle?: (() => void) | undefined;
  /** Largest message sent; a bigger call fails with `PAYLOAD_TOO_LARGE` before it is sent. @default 1_048_576 */
  maxMessageBytes?: number | undefined;
  /** Carries `Uint8Array` values in binary frames (`binary` from `@duplex/client/binary`). @default undefined (they fail with `NOT_IMPLEMENTED`) */
  binary?: BinarySupport | undefined;
  /** Read when a call or subscription starts; its W3C trace context rides along as `tc`. @default undefined (none sent) */
  traceContext?: (() => TraceContext | undefined) | undefined;
}

/** Turns an error shape from the wire into a DuplexError. */
export function errorFromShape(shape: ErrorShape): DuplexError {
  const code = isErrorCode(shape.code) ? shape.code : 'INTERNAL_SERVER_ERROR';
  const error = new DuplexError({ code, message: shape.message, issues: shape.issues, retryable: shape.retryable === true });
  if (shape.stack) error.stack = shape.stack;
  // `data` is readonly to users; only the wire sets it (the server's errorFormatter).
  (error as { data: unknown }).data = shape.data;
  return error;
}

type AuthWaiter = { resolve: () => void; reject: (error: DuplexError) => void };

/**
 * The client side of the protocol, independent of any socket. A connection attaches a `send`
 * function with {@link ClientPeer.attach} and detaches it with {@link ClientPeer.detach}; the
 * peer routes what arrives to its parts, which share the link ({@link PeerLink}): calls and their
 * queue ({@link PeerCalls}, with the streams of calls), subscriptions ({@link PeerSubscriptions})
 * and batching (`Outbox`, held by the link). Calls and subscriptions go out once the server's `ready` has
 * stated its limits, and never more calls at once than its `maxCallsInFlight`: the rest wait in
 * a bounded queue. Credential rotation (`auth`) is handled here.
 */
export class ClientPeer {
  readonly #link: PeerLink;
  readonly #calls: PeerCalls;
  readonly #subs: PeerSubscriptions;
  #links = 0;
  #currentSend: ((frame: string | Uint8Array) => void) | undefined;
  /** Names this client's mutations in the servers' dedupe windows, across reconnects. */
  readonly sessionId = createSessionId();
  /** `auth` messages waiting for their answer, by id. */
  readonly #auths = new Map<number, AuthWaiter>();
  /** The newest params to send as `auth` once the link is ready, and who waits for the answer. */
  #pendingAuth: { params: Record<string, unknown> | undefined; waiters: AuthWaiter[] } | undefined;

  constructor(options: ClientPeerOptions) {
    this.#link = new PeerLink(options);
    this.#calls = new PeerCalls(this.#link);
    this.#subs = new PeerSubscriptions(this.#link);
  }

  /** Pending calls and live subscriptions (for lazy idle-close and leak checks). */
  get stats(): { calls: number; subscriptions: number } {
    return { calls: this.#calls.size, subscriptions: this.#subs.size };
  }

  /** Calls written to `link` and not yet answered. */
  inFlightOn(link: number): number {
    return this.#calls.inFlightOn(link);
  }

  /** The server is going away: keep new calls and subscriptions for the next connection. */
  hold(): void {
    this.#link.held = true;
  }

  /**
   * A connection opened: send `hello` (with this client's session id). Subscriptions and queued
   * calls follow when the server answers `ready`. Returns the new link's number, which `receive`
   * and `detach` take. If a link is still attached (a `goaway` handover), it becomes the previous
   * link: its calls in flight finish there, its subscriptions move here.
   */
  attach(send: (frame: string | Uint8Array) => void, hello: HelloMessage): number {
    const link = this.#link;
    if (link.outbox.attached) {
      link.outbox.flush();
      // Calls in flight on the old link finish there; new ones count against the new server.
      link.previous = { id: link.id, send: this.#currentSend as (frame: string) => void };
    }
    this.#relink(send, ++this.#links);
    link.outbox.push(JSON.stringify({ ...hello, sid: this.sessionId, seq: this.#calls.sentSeq }));
    return link.id;
  }

  /** Makes `send` the current link's (undefined: none), numbered `id`, not ready yet. */
  #relink(send: ((frame: string | Uint8Array) => void) | undefined, id: number): void {
    const link = this.#link;
    this.#currentSend = send;
    link.outbox.attach(send);
    link.id = id;
    link.ready = link.held = false;
    this.#calls.relinked();
  }

  /** The server accepted the hello: send every live subscription and as many queued calls as it takes. */
  #onReady(message: ReadyMessage, id: number): void {
    const link = this.#link;
    if (id !== link.id || link.ready) return;
    link.ready = true;
    link.limits = message.limits ?? UNSTATED_LIMITS;
    link.dedupe = message.dedupe !== undefined;
    this.#subs.resume();
    this.#calls.pump();
    const auth = this.#pendingAuth;
    this.#pendingAuth = undefined;
    if (auth) this.#sendAuth(auth.params, auth.waiters);
  }

  /**
   * Sends new connection params over the open connection (credential rotation). Resolves when
   * the server has swapped the connection's context; rejects with the server's error (the old
   * context stays). Without a ready link it waits for the next one.
   */
  authenticate(params: Record<string, unknown> | undefined): Promise<void> {
    if (this.#link.closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      if (this.#link.canSend()) return this.#sendAuth(params, [{ resolve, reject }]);
      // The newest params win; everyone waiting gets the answer to them.
      this.#waitAuth(params, { resolve, reject });
      this.#link.demand();
    });
  }

  #waitAuth(params: Record<string, unknown> | undefined, waiter: AuthWaiter): void {
    this.#pendingAuth = { params, waiters: [...(this.#pendingAuth?.waiters ?? []), waiter] };
  }

  #sendAuth(params: Record<string, unknown> | undefined, waiters: AuthWaiter[]): void {
    const id = this.#link.newId();
    this.#auths.set(id, {
      resolve: () => {
        for (const waiter of waiters) waiter.resolve();
      },
      reject: (error) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    });
    this.#link.outbox.push(JSON.stringify(params === undefined ? { t: 'auth', id } : { t: 'auth', id, params }));
  }

  /**
   * The connection is gone. Calls already sent fail with a retryable `SERVICE_UNAVAILABLE` (the
   * server may or may not have run them), except mutations written to a server with a dedupe
   * window, which are sent again with their original `seq` after the reconnect, and queries with
   * `retryQueries` left. `lostWith` replaces that error and stops the re-sends (a 1009 close:
   * sending the same frames again cannot help). Queued calls and subscriptions wait for the next
   * connection, unless `fatal` is given, which fails them all with that error.
   */
  detach(fatal?: DuplexError, link = this.#link.id, lostWith?: DuplexError): void {
    if (link !== 0 && link === this.#link.id) this.#relink(undefined, 0);
    if (link !== 0 && link === this.#link.previous?.id) this.#link.previous = undefined;
    this.#calls.lost(link, fatal, lostWith);
    if (link !== 0 && this.#auths.size > 0) {
      // `auth` messages lost with their link are sent again on the next one (or fail with `fatal`).
      const lost = [...this.#auths.values()];
      this.#auths.clear();
      for (const auth of lost) {
        if (fatal) auth.reject(fatal);
        else this.#waitAuth(this.#pendingAuth?.params, auth);
      }
    }
    this.#subs.lost(link, fatal);
    if (fatal) this.#link.settled();
    else this.#calls.pump();
  }

  /** Ends everything for good: calls reject with `CANCELLED`, subscriptions complete. */
  close(): void {
    this.#link.closed = true;
    this.#currentSend = undefined;
    this.#link.outbox.attach(undefined);
    this.#link.previous = undefined;
    for (const auth of [...this.#auths.values(), ...(this.#pendingAuth?.waiters ?? [])]) auth.reject(closedError());
    this.#auths.clear();
    this.#pendingAuth = undefined;
    this.#calls.close();
    this.#subs.close();
  }

  /** Starts a query or mutation. */
  call(kind: CallKind, path: string, input: unknown, opts?: CallOptions): Promise<unknown> {
    return this.#calls.call(kind, path, input, opts);
  }

  /** Starts a subscription; returns the function that ends it (see {@link PeerSubscriptions.subscribe}). */
  subscribe(path: string, input: unknown, callbacks: SubscribeOptions<unknown>, flow?: CreditFlow): () => void {
    return this.#subs.subscribe(path, input, callbacks, flow);
  }

  /**
   * Handles one incoming frame from `link` (default: the current one): a string is a text frame,
   * bytes a binary frame. Messages about calls or subscriptions that live on another link are
   * ignored. Never throws.
   */
  receive(frame: string | Uint8Array, link = this.#link.id): void {
    if (this.#link.closed) return;
    let items: unknown[];
    let attachments: AttachmentReader | undefined;
    try {
      if (typeof frame !== 'string') ({ text: frame, attachments } = this.#link.binary.read(frame));
      items = decodeFrame(frame);
    } catch {
      return; // not ours to repair; a healthy server never sends this
    }
    for (const item of items) {
      const message = parseServerMessage(item);
      if (message) this.#handle(message, link, attachments);
    }
  }

  #handle(message: ServerMessage, link: number, attachments?: AttachmentReader): void {
    const notice = this.#link.options.onServerNotice;
    switch (message.t) {
      case 'result': {
        const auth = this.#auths.get(message.id);
        if (!auth) return this.#calls.result(message, link, attachments);
        this.#auths.delete(message.id);
        auth.resolve();
        if (message.exp !== undefined) notice?.(message);
        return;
      }
      case 'error': {
        const { id } = message;
        if (id === null) return; // a protocol complaint about a frame that named no id
        const error = errorFromShape(message.error);
        const auth = this.#auths.get(id);
        if (auth) {
          this.#auths.delete(id);
          auth.reject(error);
        } else if (!this.#subs.end(id, link, error)) this.#calls.error(id, error, link);
        return;
      }
      case 'data':
        if (!this.#subs.data(message, link, attachments)) this.#calls.streams.data(message, link, attachments);
        return;
      case 'done':
        if (!this.#subs.end(message.id, link)) this.#calls.streams.done(message.id, link);
        return;
      case 'credit':
        this.#calls.streams.grant(message.id, message.n);
        return;
      case 'ping':
        this.#link.outbox.push('{"t":"pong"}');
        return;
      case 'ready':
        this.#onReady(message, link);
        break;
      case 'pong':
      case 'goaway':
    }
    notice?.(message);
  }

  /** Sends an application-level ping (the server answers `pong`). */
  ping(): void {
    this.#link.outbox.push('{"t":"ping"}');
  }
}
