import {
  type AttachmentReader,
  type CallKind,
  type CallMessage,
  type HelloMessage,
  type Clock,
  type Codec,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_STREAM_WINDOW,
  DuplexError,
  decodeFrame,
  type ErrorCode,
  type ErrorShape,
  isErrorCode,
  isStreamSource,
  parseServerMessage,
  type ReadyMessage,
  type ServerLimits,
  type ServerMessage,
  type StreamSource,
  type SubscribeMessage,
  type TimerHandle,
  type TraceContext,
  type WireTraceContext,
} from '@duplex/core';
import type { BinarySupport } from './binary.js';
import { CallQueue } from './call-queue.js';
import { CallStreams } from './call-streams.js';
import { type CreditFlow, consumeAfter } from './credit-flow.js';
import { noBinary } from './no-binary.js';
import { Outbox } from './outbox.js';
import { createSessionId } from './session-id.js';
import type { CallOptions, SubscribeOptions } from './types.js';
import { guardedCallbacks } from './user-callback.js';
import { wireTraceContext } from './wire-trace-context.js';

interface PendingCall {
  message: CallMessage;
  /** The input's binary values as one attachment section; the call then travels as a binary frame. */
  bytes: Uint8Array | undefined;
  resolve: (value: unknown) => void;
  reject: (error: DuplexError) => void;
  /** Absolute deadline on the peer's clock, if any. */
  deadline: number | undefined;
  timer: TimerHandle | undefined;
  /** The link (see {@link ClientPeer.attach}) it was written to; 0 while waiting for one. */
  link: number;
  /** True while it sits in the queue. */
  waiting: boolean;
  /** The server it was written to keeps a dedupe window: after a lost link it is sent again. */
  deduped: boolean;
  cleanup: (() => void) | undefined;
  /** Queries only: re-sends left after a lost connection (see `retryQueries`). */
  retriesLeft: number;
  /** The call's client stream (protocol.md §7.2), sent as the server grants credit; such a call is never sent again. */
  source: StreamSource<unknown> | undefined;
}

interface LiveSubscription {
  id: number;
  path: string;
  input: unknown;
  bytes: Uint8Array | undefined;
  lastEventId: string | undefined;
  options: SubscribeOptions<unknown>;
  /** The link it runs on; 0 while waiting for one. */
  link: number;
  cleanup: (() => void) | undefined;
  /** Its credit window (protocol.md §7.1); undefined sends no window (no credit limit). */
  flow: CreditFlow | undefined;
  /** The caller's trace context when it subscribed, sent again on every resume. */
  tc: WireTraceContext | undefined;
}

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

/** Default bound of the client's queue of calls waiting for a connection or a free slot. */
export const DEFAULT_MAX_QUEUED_CALLS = 50_000;

/** Limits assumed of a server that states none in `ready` (servers before protocol.md §4.2). */
const UNSTATED_LIMITS: ServerLimits = {
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxCallsInFlight: Number.POSITIVE_INFINITY,
  maxSubscriptions: Number.POSITIVE_INFINITY,
};

/** Turns an error shape from the wire into a DuplexError. */
export function errorFromShape(shape: ErrorShape): DuplexError {
  const code = isErrorCode(shape.code) ? shape.code : 'INTERNAL_SERVER_ERROR';
  const error = new DuplexError({ code, message: shape.message, issues: shape.issues, retryable: shape.retryable === true });
  if (shape.stack) error.stack = shape.stack;
  // `data` is readonly to users; only the wire sets it (the server's errorFormatter).
  (error as { data: unknown }).data = shape.data;
  return error;
}

/** What a streamed result or client stream fails with when its connection is lost. */
function lostStream(): DuplexError {
  return new DuplexError({ code: 'SERVICE_UNAVAILABLE', message: 'connection lost while the stream was open', retryable: true });
}

/** A `DuplexError` a codec threw (bytes without `binary`) as is, else a new one of `code`. */
function failure(cause: unknown, code: ErrorCode, message: string): DuplexError {
  return cause instanceof DuplexError ? cause : new DuplexError({ code, message, cause });
}

/**
 * The client side of the protocol, independent of any socket: owns request ids, the outgoing
 * queue, pending calls and live subscriptions. A connection attaches a `send` function with
 * {@link ClientPeer.attach} and detaches it with {@link ClientPeer.detach}. Calls and
 * subscriptions go out once the server's `ready` has stated its limits, and never more calls at
 * once than its `maxCallsInFlight`: the rest wait in a bounded queue.
 */
export class ClientPeer {
  #nextId = 1;
  readonly #calls = new Map<number, PendingCall>();
  readonly #subs = new Map<number, LiveSubscription>();
  /** Client streams being sent and streamed results being read. */
  readonly #streams = new CallStreams({
    frame: (id, path, value) => {
      try {
        const [data, bytes] = this.#encode(value);
        const text = JSON.stringify({ t: 'data', id, data });
        const frame = bytes ? this.#binary.frame(text, bytes) : text;
        return this.#tooLarge(frame, path) ?? frame;
      } catch (cause) {
        return failure(cause, 'BAD_REQUEST', 'a client stream item could not be serialized');
      }
    },
    send: (frame, link) => {
      if (link === this.#link) this.#outbox.push(frame);
    },
    cancel: (link, id) => this.#cancelOn(link, id),
    abandon: (id, error) => this.#abandon(id, error),
  });
  /** Calls waiting for a connection, for `ready`, or for a free slot. */
  readonly #queue = new CallQueue<PendingCall>();
  /** Calls written to the current link and not yet answered. */
  #inFlight = 0;
  /** The current link's number (0: none); every attach gets a new one. */
  #link = 0;
  #links = 0;
  /** The current link's server said `ready`: its limits are known. */
  #ready = false;
  #limits: ServerLimits = UNSTATED_LIMITS;
  /** The current link's server keeps a dedupe window (mutations may be sent again). */
  #dedupe = false;
  /** The link being drained after a handover: its calls in flight finish there. */
  #previous: { link: number; send: (frame: string | Uint8Array) => void } | undefined;
  readonly #outbox: Outbox;
  readonly #binary: BinarySupport;
  #closed = false;
  /** After `goaway`: new work waits for the next connection instead of going to a draining server. */
  #held = false;
  /** Names this client's mutations in the servers' dedupe windows, across reconnects. */
  readonly sessionId = createSessionId();
  #seq = 0;
  /** `auth` messages waiting for their answer, by id. */
  readonly #auths = new Map<number, { resolve: () => void; reject: (error: DuplexError) => void }>();
  /** The newest params to send as `auth` once the link is ready, and who waits for the answer. */
  #pendingAuth: { params: Record<string, unknown> | undefined; waiters: Array<{ resolve: () => void; reject: (error: DuplexError) => void }> } | undefined;
  /** The highest `seq` written to any link (told in `hello`: below it, a server that lost the session never re-runs). */
  #sentSeq = 0;

  readonly #options: ClientPeerOptions;

  constructor(options: ClientPeerOptions) {
    this.#options = options;
    this.#binary = options.binary ?? noBinary;
    this.#outbox = new Outbox(this.#binary.split);
  }

  /** Pending calls and live subscriptions (for lazy idle-close and leak checks). */
  get stats(): { calls: number; subscriptions: number } {
    return { calls: this.#calls.size + this.#streams.size, subscriptions: this.#subs.size };
  }

  /** Calls written to `link` and not yet answered. */
  inFlightOn(link: number): number {
    if (link === 0) return 0;
    if (link === this.#link) return this.#inFlight;
    let count = 0;
    for (const call of this.#calls.values()) if (call.link === link) count++;
    return count;
  }

  /** The server is going away: keep new calls and subscriptions for the next connection. */
  hold(): void {
    this.#held = true;
  }

  /**
   * A connection opened: send `hello` (with this client's session id). Subscriptions and queued
   * calls follow when the server answers `ready`. Returns the new link's number, which `receive`
   * and `detach` take. If a link is still attached (a `goaway` handover), it becomes the previous
   * link: its calls in flight finish there, its subscriptions move here.
   */
  attach(send: (frame: string | Uint8Array) => void, hello: HelloMessage): number {
    if (this.#outbox.attached) {
      this.#outbox.flush();
      // Calls in flight on the old link finish there; new ones count against the new server.
      this.#previous = { link: this.#link, send: this.#currentSend as (frame: string | Uint8Array) => void };
    }
    this.#currentSend = send;
    this.#outbox.attach(send);
    this.#link = ++this.#links;
    this.#inFlight = 0;
    this.#ready = false;
    this.#held = false;
    this.#outbox.push(JSON.stringify({ ...hello, sid: this.sessionId, seq: this.#sentSeq }));
    return this.#link;
  }

  #currentSend: ((frame: string | Uint8Array) => void) | undefined;

  /** The server accepted the hello: send every live subscription and as many queued calls as it takes. */
  #onReady(message: ReadyMessage, link: number): void {
    if (link !== this.#link || this.#ready) return;
    this.#ready = true;
    this.#limits = message.limits ?? UNSTATED_LIMITS;
    this.#dedupe = message.dedupe !== undefined;
    const cancels: string[] = [];
    for (const sub of [...this.#subs.values()]) {
      if (sub.link === this.#link) continue;
      if (this.#previous && sub.link === this.#previous.link) cancels.push(JSON.stringify({ t: 'cancel', id: sub.id }));
      this.#sendSubscribe(sub);
    }
    if (cancels.length > 0) this.#sendPrevious(cancels.length === 1 ? (cancels[0] as string) : `[${cancels.join(',')}]`);
    this.#pump();
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
    if (this.#closed) return Promise.reject(new DuplexError({ code: 'CANCELLED', message: 'client is closed' }));
    return new Promise((resolve, reject) => {
      if (this.#canSend()) return this.#sendAuth(params, [{ resolve, reject }]);
      // The newest params win; everyone waiting gets the answer to them.
      this.#pendingAuth = { params, waiters: [...(this.#pendingAuth?.waiters ?? []), { resolve, reject }] };
      if (!this.#outbox.attached) this.#options.onDemand?.();
    });
  }

  #sendAuth(params: Record<string, unknown> | undefined, waiters: Array<{ resolve: () => void; reject: (error: DuplexError) => void }>): void {
    const id = this.#nextId++;
    this.#auths.set(id, {
      resolve: () => {
        for (const waiter of waiters) waiter.resolve();
      },
      reject: (error) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    });
    this.#outbox.push(JSON.stringify(params === undefined ? { t: 'auth', id } : { t: 'auth', id, params }));
  }

  /**
   * The connection is gone. Calls already sent fail with a retryable `SERVICE_UNAVAILABLE` (the
   * server may or may not have run them), except mutations written to a server with a dedupe
   * window, which are sent again with their original `seq` after the reconnect, and queries with
   * `retryQueries` left. `lostWith` replaces that error and stops the re-sends (a 1009 close:
   * sending the same frames again cannot help). Queued calls and subscriptions wait for the next
   * connection, unless `fatal` is given, which fails them all with that error.
   */
  detach(fatal?: DuplexError, link = this.#link, lostWith?: DuplexError): void {
    if (link !== 0 && link === this.#link) {
      this.#currentSend = undefined;
      this.#outbox.attach(undefined);
      this.#link = 0;
      this.#inFlight = 0;
      this.#ready = false;
      this.#held = false;
    }
    if (link !== 0 && link === this.#previous?.link) this.#previous = undefined;
    const again: PendingCall[] = [];
    for (const [id, call] of this.#calls) {
      if (!fatal && (link === 0 || call.link !== link || call.waiting)) continue;
      if (!fatal && !lostWith && this.#sendAgain(call)) {
        call.link = 0;
        again.push(call);
        continue;
      }
      this.#calls.delete(id);
      this.#queue.remove(call);
      this.#settleCall(
        call,
        fatal ??
          lostWith ??
          new DuplexError({
            code: 'SERVICE_UNAVAILABLE',
            message: 'connection lost while the call was in flight; the server may or may not have run it',
            retryable: true,
          }),
      );
    }
    this.#queue.unshift(again);
    if (fatal) this.#streams.failAll(fatal);
    else if (link !== 0) this.#streams.failAll(lostWith ?? lostStream(), link);
    if (link !== 0 && this.#auths.size > 0) this.#retryAuths(fatal);
    for (const [id, sub] of this.#subs) {
      if (link !== 0 && sub.link === link) sub.link = 0;
      if (fatal) {
        this.#subs.delete(id);
        sub.cleanup?.();
        sub.options.onError?.(fatal);
      }
    }
    if (fatal) this.#options.onSettle?.();
    else this.#pump();
  }

  /** `auth` messages lost with their link: sent again on the next one (or failed with `fatal`). */
  #retryAuths(fatal: DuplexError | undefined): void {
    const lost = [...this.#auths.values()];
    this.#auths.clear();
    for (const auth of lost) {
      if (fatal) auth.reject(fatal);
      else this.#pendingAuth = { params: this.#pendingAuth?.params, waiters: [...(this.#pendingAuth?.waiters ?? []), auth] };
    }
  }

  /** Whether a call lost with its link goes out again on the next one. */
  #sendAgain(call: PendingCall): boolean {
    // A client stream was consumed as it was sent: it cannot go out again.
    if (call.source) return false;
    if (call.message.kind === 'mutation') return call.deduped;
    if (call.retriesLeft <= 0) return false;
    // Queries are safe to repeat (opt-in).
    call.retriesLeft--;
    return true;
  }

  /** Ends everything for good: calls reject with `CANCELLED`, subscriptions complete. */
  close(): void {
    this.#closed = true;
    this.#currentSend = undefined;
    this.#outbox.attach(undefined);
    this.#previous = undefined;
    this.#queue.drain();
    const closed = new DuplexError({ code: 'CANCELLED', message: 'client is closed' });
    for (const auth of [...this.#auths.values(), ...(this.#pendingAuth?.waiters ?? [])]) auth.reject(closed);
    this.#auths.clear();
    this.#pendingAuth = undefined;
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    for (const call of calls) this.#settleCall(call, new DuplexError({ code: 'CANCELLED', message: 'client is closed' }));
    this.#streams.failAll(closed);
    const subs = [...this.#subs.values()];
    this.#subs.clear();
    for (const sub of subs) {
      sub.cleanup?.();
      sub.options.onComplete?.();
    }
  }

  /** Starts a query or mutation. */
  call(kind: CallKind, path: string, input: unknown, opts: CallOptions = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(new DuplexError({ code: 'CANCELLED', message: 'client is closed' }));
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(new DuplexError({ code: 'CANCELLED', message: 'call aborted', cause: signal.reason }));
    const maxQueued = this.#options.maxQueuedCalls ?? DEFAULT_MAX_QUEUED_CALLS;
    if (this.#queue.size >= maxQueued && !this.#sendsNow()) {
      return Promise.reject(
        new DuplexError({
          code: 'TOO_MANY_REQUESTS',
          message: `${this.#queue.size} calls are already waiting in this client (maxQueuedCalls ${maxQueued})`,
          retryable: true,
        }),
      );
    }
    const id = this.#nextId++;
    const message: CallMessage = { t: 'call', id, kind, path };
    let bytes: Uint8Array | undefined;
    const source = isStreamSource(input) ? input : undefined;
    if (source) message.stream = true;
    if (opts.window !== undefined && opts.window !== DEFAULT_STREAM_WINDOW) message.credit = opts.window;
    try {
      if (input !== undefined && !source) [message.input, bytes] = this.#encode(input);
    } catch (cause) {
      return Promise.reject(failure(cause, 'BAD_REQUEST', 'input could not be serialized'));
    }
    // A client stream is never sent again, so it needs no place in the server's dedupe window.
    if (kind === 'mutation' && !source) {
      message.seq = ++this.#seq;
      if (opts.idempotencyKey !== undefined) message.key = opts.idempotencyKey;
    }
    const tc = wireTraceContext(this.#options.traceContext);
    if (tc) message.tc = tc;
    return new Promise((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.#options.timeoutMs;
      const call: PendingCall = {
        message,
        bytes,
        resolve,
        reject,
        deadline: timeoutMs === undefined ? undefined : this.#options.clock.now() + timeoutMs,
        timer: undefined,
        link: 0,
        waiting: false,
        deduped: false,
        cleanup: undefined,
        retriesLeft: kind === 'query' && !source ? (this.#options.retryQueries ?? 0) : 0,
        source,
      };
      if (timeoutMs !== undefined) {
        call.timer = this.#options.clock.setTimeout(
          () => this.#abandon(id, new DuplexError({ code: 'TIMEOUT', message: `"${path}" timed out after ${timeoutMs} ms` })),
          timeoutMs,
        );
      }
      if (signal) {
        const onAbort = () => this.#abandon(id, new DuplexError({ code: 'CANCELLED', message: 'call aborted', cause: signal.reason }));
        signal.addEventListener('abort', onAbort, { once: true });
        call.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.#calls.set(id, call);
      if (this.#sendsNow()) return this.#sendCall(call);
      this.#queue.push(call);
      if (this.#outbox.attached) this.#pump();
      else this.#options.onDemand?.();
    });
  }

  /** A new call would leave at once: nothing waits before it and the server has a free slot. */
  #sendsNow(): boolean {
    return this.#canSend() && this.#queue.size === 0 && this.#inFlight < this.#limits.maxCallsInFlight;
  }

  /** A link is attached, its server is ready and not draining. */
  #canSend(): boolean {
    return this.#ready && !this.#held && this.#outbox.attached;
  }

  /** Sends queued calls while the server's `maxCallsInFlight` leaves room. */
  #pump(): void {
    if (!this.#canSend()) return;
    while (this.#inFlight < this.#limits.maxCallsInFlight) {
      const call = this.#queue.shift();
      if (!call) return;
      this.#sendCall(call);
    }
  }

  /**
   * Starts a subscription; returns the function that ends it. With a `flow`, the server may run
   * at most its window ahead of what the application consumed: an `onData` event counts as
   * consumed when the callback returns (or its promise settles), unless the flow is manual.
   */
  subscribe(path: string, input: unknown, callbacks: SubscribeOptions<unknown>, flow?: CreditFlow): () => void {
    // An exception in application code must not stop the rest of a frame.
    const options = guardedCallbacks(callbacks);
    if (this.#closed) {
      queueMicrotask(() => options.onError?.(new DuplexError({ code: 'CANCELLED', message: 'client is closed' })));
      return () => {};
    }
    const id = this.#nextId++;
    let encoded: unknown;
    let bytes: Uint8Array | undefined;
    try {
      if (input !== undefined) [encoded, bytes] = this.#encode(input);
    } catch (cause) {
      queueMicrotask(() => options.onError?.(failure(cause, 'BAD_REQUEST', 'input could not be serialized')));
      return () => {};
    }
    const tc = wireTraceContext(this.#options.traceContext);
    const sub: LiveSubscription = { id, path, input: encoded, bytes, lastEventId: undefined, options, link: 0, cleanup: undefined, flow, tc };
    const stop = () => this.#unsubscribe(id);
    if (options.signal) {
      if (options.signal.aborted) return () => {};
      const signal = options.signal;
      signal.addEventListener('abort', stop, { once: true });
      sub.cleanup = () => signal.removeEventListener('abort', stop);
    }
    this.#subs.set(id, sub);
    if (this.#canSend()) this.#sendSubscribe(sub);
    else if (!this.#outbox.attached) this.#options.onDemand?.();
    return stop;
  }

  /**
   * Handles one incoming frame from `link` (default: the current one): a string is a text frame,
   * bytes a binary frame. Messages about calls or subscriptions that live on another link are
   * ignored. Never throws.
   */
  receive(frame: string | Uint8Array, link = this.#link): void {
    if (this.#closed) return;
    let items: unknown[];
    let attachments: AttachmentReader | undefined;
    try {
      if (typeof frame !== 'string') ({ text: frame, attachments } = this.#binary.read(frame));
      items = decodeFrame(frame);
    } catch {
      return; // not ours to repair; a healthy server never sends this
    }
    for (const item of items) {
      const parsed = parseServerMessage(item);
      if (parsed.ok) this.#handle(parsed.message, link, attachments);
    }
  }

  /**
   * One item of a streamed result. A method of its own: a closure in `#handle` would make every
   * message it handles allocate a context for the variables the closure captures.
   */
  #streamItem(message: { id: number; data?: unknown }, link: number, attachments: AttachmentReader | undefined): void {
    this.#streams.data(message.id, link, () => this.#decode(message, attachments));
  }

  /** Decodes a message's `data` payload (absent: undefined). */
  #decode(message: { data?: unknown }, attachments: AttachmentReader | undefined): unknown {
    return 'data' in message ? this.#options.codec.decode(message.data, attachments) : undefined;
  }

  /** Encodes an input; its binary values come back as one section, copied (the caller may reuse its buffers). */
  #encode(input: unknown): [payload: unknown, bytes: Uint8Array | undefined] {
    return this.#binary.encode(this.#options.codec, input);
  }

  #handle(message: ServerMessage, link: number, attachments?: AttachmentReader): void {
    switch (message.t) {
      case 'result': {
        const auth = this.#auths.get(message.id);
        if (auth) {
          this.#auths.delete(message.id);
          auth.resolve();
          if (message.exp !== undefined) this.#options.onServerNotice?.(message);
          return;
        }
        const call = this.#calls.get(message.id);
        if (!call || call.link !== link) return; // cancelled or timed out already
        this.#calls.delete(message.id);
        if (message.stream) return this.#resolveStreamed(call, link);
        let value: unknown;
        try {
          value = this.#decode(message, attachments);
        } catch (cause) {
          this.#settleCall(call, failure(cause, 'INTERNAL_SERVER_ERROR', 'result could not be decoded'));
          return;
        }
        this.#settleCall(call, undefined, value);
        return;
      }
      case 'error': {
        if (message.id === null) return; // a protocol complaint about a frame that named no id
        const error = errorFromShape(message.error);
        const auth = this.#auths.get(message.id);
        if (auth) {
          this.#auths.delete(message.id);
          auth.reject(error);
          return;
        }
        const call = this.#calls.get(message.id);
        if (call?.link === link) {
          this.#calls.delete(message.id);
          this.#settleCall(call, error);
          return;
        }
        const sub = this.#subs.get(message.id);
        if (sub?.link === link) {
          this.#subs.delete(message.id);
          sub.cleanup?.();
          sub.options.onError?.(error);
          this.#options.onSettle?.();
          return;
        }
        this.#streams.fail(message.id, error, link);
        return;
      }
      case 'data': {
        const sub = this.#subs.get(message.id);
        // After a handover, events still arriving on the old link are dropped: the new link
        // resumes from the last event id delivered before the move.
        if (!sub || sub.link !== link) return this.#streamItem(message, link, attachments);
        let value: unknown;
        try {
          value = this.#decode(message, attachments);
        } catch (cause) {
          this.#unsubscribe(message.id);
          sub.options.onError?.(failure(cause, 'INTERNAL_SERVER_ERROR', 'event could not be decoded'));
          return;
        }
        if (message.eid !== undefined) sub.lastEventId = message.eid;
        sub.flow?.received();
        const handled: unknown = sub.options.onData?.(value, { id: message.eid });
        if (sub.flow && !sub.flow.manual) consumeAfter(sub.flow, handled);
        return;
      }
      case 'done': {
        const sub = this.#subs.get(message.id);
        if (!sub || sub.link !== link) return void this.#streams.done(message.id, link);
        this.#subs.delete(message.id);
        sub.cleanup?.();
        sub.options.onComplete?.();
        this.#options.onSettle?.();
        return;
      }
      case 'credit':
        this.#streams.grant(message.id, message.n);
        return;
      case 'ping':
        this.#outbox.push(JSON.stringify({ t: 'pong' }));
        return;
      case 'ready':
        this.#onReady(message, link);
        this.#options.onServerNotice?.(message);
        return;
      case 'pong':
      case 'goaway':
        this.#options.onServerNotice?.(message);
    }
  }

  /** Sends an application-level ping (the server answers `pong`). */
  ping(): void {
    this.#outbox.push(JSON.stringify({ t: 'ping' }));
  }

  #unsubscribe(id: number): void {
    const sub = this.#subs.get(id);
    if (!sub) return;
    this.#subs.delete(id);
    sub.cleanup?.();
    this.#cancelOn(sub.link, id);
    this.#options.onSettle?.();
  }

  /** Gives up on a call locally (abort / timeout) and tells the server to stop its handler. */
  #abandon(id: number, error: DuplexError): void {
    const call = this.#calls.get(id);
    if (!call) {
      // Its result may be streaming: the signal ends both halves.
      const link = this.#streams.fail(id, error, undefined, true);
      if (link > 0) this.#cancelOn(link, id);
      return;
    }
    this.#calls.delete(id);
    this.#cancelOn(call.link, id);
    this.#settleCall(call, error);
  }

  #settleCall(call: PendingCall, error: DuplexError | undefined, value?: unknown): void {
    if (call.timer !== undefined) this.#options.clock.clearTimeout(call.timer);
    call.timer = undefined;
    call.cleanup?.();
    if (call.source) this.#streams.stopInput(call.message.id);
    this.#queue.remove(call);
    const freed = call.link !== 0 && call.link === this.#link;
    call.link = -1;
    if (freed) this.#inFlight--;
    if (error) call.reject(error);
    else call.resolve(value);
    if (freed) this.#pump();
    this.#options.onSettle?.();
  }

  /** Tells the server holding `id` to stop it, on whichever link it runs. */
  #cancelOn(link: number, id: number): void {
    const text = JSON.stringify({ t: 'cancel', id });
    if (link > 0 && link === this.#link) this.#outbox.push(text);
    else if (link > 0 && link === this.#previous?.link) this.#sendPrevious(text);
  }

  #sendPrevious(frame: string): void {
    try {
      this.#previous?.send(frame);
    } catch {
      // The old link is closing; its server ends what ran there.
    }
  }

  #sendCall(call: PendingCall): void {
    if (call.deadline !== undefined) {
      // The server gets the time left, so its handler's signal aborts when ours does.
      call.message.timeoutMs = Math.max(1, call.deadline - this.#options.clock.now());
    }
    const text = JSON.stringify(call.message);
    const frame = call.bytes ? this.#binary.frame(text, call.bytes) : text;
    const error = this.#tooLarge(frame, call.message.path);
    if (error) {
      this.#calls.delete(call.message.id);
      this.#settleCall(call, error);
      return;
    }
    call.link = this.#link;
    call.deduped = this.#dedupe;
    if (call.message.seq !== undefined && call.message.seq > this.#sentSeq) this.#sentSeq = call.message.seq;
    this.#inFlight++;
    this.#outbox.push(frame);
    if (call.source) this.#streams.startInput(call.message.id, call.message.path, this.#link, call.source);
  }

  /**
   * A call answered with a stream: the caller gets an AsyncIterable of its items. The call keeps
   * its slot under the server's `maxCallsInFlight` (the server still runs it) until the stream ends.
   */
  #resolveStreamed(call: PendingCall, link: number): void {
    if (call.timer !== undefined) this.#options.clock.clearTimeout(call.timer);
    call.timer = undefined;
    const stream = this.#streams.openResult(call.message.id, link, call.message.credit ?? DEFAULT_STREAM_WINDOW, () => {
      call.cleanup?.();
      call.link = -1;
      if (link === this.#link) {
        this.#inFlight--;
        this.#pump();
      }
      this.#options.onSettle?.();
    });
    call.resolve(stream);
  }

  /**
   * The error for a frame over the limit: the smaller of this client's `maxMessageBytes` and the
   * server's stated one. Text is measured in UTF-8, encoded only when it could be over.
   */
  #tooLarge(frame: string | Uint8Array, path: string): DuplexError | undefined {
    const own = this.#options.maxMessageBytes;
    const server = this.#limits.maxMessageBytes;
    const max = own === undefined ? server : Math.min(own, server);
    if (typeof frame === 'string' && frame.length * 3 <= max) return undefined;
    const size = typeof frame === 'string' ? new TextEncoder().encode(frame).length : frame.byteLength;
    if (size <= max) return undefined;
    const whose = own !== undefined && own < server ? `this client's maxMessageBytes of ${own} bytes` : `the server's maxMessageBytes of ${server} bytes`;
    return new DuplexError({ code: 'PAYLOAD_TOO_LARGE', message: `"${path}" is ${size} bytes, over ${whose}`, retryable: false });
  }

  #sendSubscribe(sub: LiveSubscription): void {
    const message: SubscribeMessage = { t: 'sub', id: sub.id, path: sub.path };
    if (sub.input !== undefined) message.input = sub.input;
    if (sub.lastEventId !== undefined) message.lastEventId = sub.lastEventId;
    if (sub.tc) message.tc = sub.tc;
    if (sub.flow) message.credit = sub.flow.start((n) => this.#sendCredit(sub, n));
    const text = JSON.stringify(message);
    const frame = sub.bytes ? this.#binary.frame(text, sub.bytes) : text;
    const error = this.#tooLarge(frame, sub.path) ?? this.#overSubscriptionLimit();
    if (!error) {
      sub.link = this.#link;
      this.#outbox.push(frame);
      return;
    }
    this.#subs.delete(sub.id);
    sub.cleanup?.();
    sub.options.onError?.(error);
    this.#options.onSettle?.();
  }

  /** Returns `n` credits to the server running `sub`, if it still runs there. */
  #sendCredit(sub: LiveSubscription, n: number): void {
    if (sub.link === 0 || sub.link !== this.#link || this.#subs.get(sub.id) !== sub) return;
    this.#outbox.push(`{"t":"credit","id":${sub.id},"n":${n}}`);
  }

  #overSubscriptionLimit(): DuplexError | undefined {
    const max = this.#limits.maxSubscriptions;
    if (this.#subs.size <= max) return undefined;
    let live = 0;
    for (const sub of this.#subs.values()) if (sub.link === this.#link) live++;
    if (live < max) return undefined;
    return new DuplexError({ code: 'TOO_MANY_REQUESTS', message: `the server allows ${max} subscriptions per connection (maxSubscriptions)` });
  }
}
