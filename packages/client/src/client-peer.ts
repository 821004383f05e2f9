import {
  type AttachmentReader,
  Attachments,
  type CallKind,
  concatBytes,
  type CallMessage,
  type ClientMessage,
  type Clock,
  type Codec,
  DEFAULT_MAX_MESSAGE_BYTES,
  DuplexError,
  decodeBinaryFrame,
  decodeFrame,
  encodeBinaryFrame,
  type ErrorShape,
  isErrorCode,
  joinFrame,
  joinFrames,
  parseServerMessage,
  type ServerMessage,
  type SubscribeMessage,
  type TimerHandle,
} from '@duplex/core';
import { BatchTimer } from './batch-timer.js';
import type { CallOptions, SubscribeOptions } from './types.js';
import { guardedCallbacks } from './user-callback.js';

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
  cleanup: (() => void) | undefined;
  /** Queries only: re-sends left after a lost connection (see `retryQueries`). */
  retriesLeft: number;
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
}

/** Options of a {@link ClientPeer}. */
export interface ClientPeerOptions {
  codec: Codec;
  clock: Clock;
  /** Default per-call deadline. @default undefined (none) */
  timeoutMs?: number | undefined;
  /** Called when there is something to send and no connection (lazy connect). */
  onDemand?: (() => void) | undefined;
  /** Called for `ready` and `goaway` messages. */
  onServerNotice?: ((message: ServerMessage) => void) | undefined;
  /** Calls waiting for a connection at most; one more fails with `SERVICE_UNAVAILABLE`. @default 1_000 */
  maxQueuedCalls?: number | undefined;
  /** Times a query in flight on a lost connection is re-sent instead of failing. @default 0 */
  retryQueries?: number | undefined;
  /** Called whenever a call settles or a subscription ends (lazy idle-close, goaway drain). */
  onSettle?: (() => void) | undefined;
  /** Largest message sent; a bigger call fails with `PAYLOAD_TOO_LARGE` before it is sent. @default 1_048_576 */
  maxMessageBytes?: number | undefined;
  /** High-resolution time in ms for the outgoing batch's budget (tests pass a fake one). @default performance.now */
  now?: (() => number) | undefined;
}

/** Batches leave as frames of at most this many characters (or bytes), so many calls never add up to a frame the server refuses. */
const BATCH_CHARS = 65_536;

/** Default bound of the queue of calls made while disconnected. */
export const DEFAULT_MAX_QUEUED_CALLS = 1_000;

/** Turns an error shape from the wire into a DuplexError. */
export function errorFromShape(shape: ErrorShape): DuplexError {
  const code = isErrorCode(shape.code) ? shape.code : 'INTERNAL_SERVER_ERROR';
  const error = new DuplexError({ code, message: shape.message, issues: shape.issues });
  if (shape.stack) error.stack = shape.stack;
  return error;
}

/**
 * The client side of the protocol, independent of any socket: owns request ids, the outgoing
 * queue, pending calls and live subscriptions. A connection attaches a `send` function with
 * {@link ClientPeer.attach} and detaches it with {@link ClientPeer.detach}.
 */
export class ClientPeer {
  private nextId = 1;
  private readonly calls = new Map<number, PendingCall>();
  private readonly subs = new Map<number, LiveSubscription>();
  private send: ((frame: string | Uint8Array) => void) | undefined;
  /** The current link's number (0: none); every attach gets a new one. */
  private link = 0;
  private links = 0;
  /** The link being drained after a handover: its calls in flight finish there. */
  private previous: { link: number; send: (frame: string | Uint8Array) => void } | undefined;
  private outbox: Array<string | Uint8Array> = [];
  /** True when the outbox holds a binary frame. */
  private outboxBinary = false;
  private outboxChars = 0;
  private readonly attachments = new Attachments();
  private flushScheduled = false;
  private readonly batch: BatchTimer;
  private closed = false;
  /** After `goaway`: new work waits for the next connection instead of going to a draining server. */
  private held = false;

  constructor(private readonly options: ClientPeerOptions) {
    this.batch = new BatchTimer(options.now);
  }

  /** Pending calls and live subscriptions (for lazy idle-close and leak checks). */
  get stats(): { calls: number; subscriptions: number } {
    return { calls: this.calls.size, subscriptions: this.subs.size };
  }

  /** Calls written to `link` and not yet answered. */
  inFlightOn(link: number): number {
    return link === 0 ? 0 : this.count(link);
  }

  /** The server is going away: keep new calls and subscriptions for the next connection. */
  hold(): void {
    this.held = true;
  }

  /**
   * A connection opened: send `hello`, then every live subscription (resuming from its last event
   * id) and every queued call. Returns the new link's number, which `receive` and `detach` take.
   * If a link is still attached (a `goaway` handover), it becomes the previous link: its calls in
   * flight finish there, its subscriptions move here and are cancelled there.
   */
  attach(send: (frame: string | Uint8Array) => void, hello: ClientMessage): number {
    const old = this.send;
    if (old) {
      this.flush();
      this.previous = { link: this.link, send: old };
    }
    this.send = send;
    this.link = ++this.links;
    this.held = false;
    this.push(JSON.stringify(hello));
    const cancels: string[] = [];
    for (const sub of this.subs.values()) {
      if (old && sub.link === this.previous?.link) cancels.push(JSON.stringify({ t: 'cancel', id: sub.id }));
      this.sendSubscribe(sub);
    }
    for (const call of this.calls.values()) if (call.link === 0) this.sendCall(call);
    if (cancels.length > 0) this.sendPrevious(cancels.length === 1 ? (cancels[0] as string) : `[${cancels.join(',')}]`);
    return this.link;
  }

  /**
   * The connection is gone. Calls already sent fail with a retryable `SERVICE_UNAVAILABLE` (the
   * server may or may not have run them); queued calls and subscriptions wait for the next
   * connection, unless `fatal` is given, which fails them all with that error.
   */
  detach(fatal?: DuplexError, link = this.link): void {
    if (link !== 0 && link === this.link) {
      this.send = undefined;
      this.link = 0;
      this.held = false;
      this.outbox = [];
      this.outboxChars = 0;
    }
    if (link !== 0 && link === this.previous?.link) this.previous = undefined;
    for (const [id, call] of this.calls) {
      if (!fatal && (link === 0 || call.link !== link)) continue;
      if (!fatal && call.retriesLeft > 0 && call.message.kind === 'query') {
        // Queries are safe to repeat (opt-in): this one goes out again on the next connection.
        call.retriesLeft--;
        call.link = 0;
        continue;
      }
      this.calls.delete(id);
      this.settleCall(call, fatal ?? new DuplexError({
        code: 'SERVICE_UNAVAILABLE',
        message: 'connection lost while the call was in flight; the server may or may not have run it',
        retryable: true,
      }));
    }
    for (const [id, sub] of this.subs) {
      if (link !== 0 && sub.link === link) sub.link = 0;
      if (fatal) {
        this.subs.delete(id);
        sub.cleanup?.();
        sub.options.onError?.(fatal);
      }
    }
    if (fatal) this.options.onSettle?.();
  }

  /** Ends everything for good: calls reject with `CANCELLED`, subscriptions complete. */
  close(): void {
    this.closed = true;
    this.send = undefined;
    this.previous = undefined;
    this.outbox = [];
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) this.settleCall(call, new DuplexError({ code: 'CANCELLED', message: 'client closed' }));
    const subs = [...this.subs.values()];
    this.subs.clear();
    for (const sub of subs) {
      sub.cleanup?.();
      sub.options.onComplete?.();
    }
  }

  /** Starts a query or mutation. */
  call(kind: CallKind, path: string, input: unknown, opts: CallOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new DuplexError({ code: 'CANCELLED', message: 'client is closed' }));
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(new DuplexError({ code: 'CANCELLED', message: 'call aborted', cause: signal.reason }));
    const connected = this.send !== undefined && !this.held;
    if (!connected && this.count(0) >= (this.options.maxQueuedCalls ?? DEFAULT_MAX_QUEUED_CALLS)) {
      return Promise.reject(
        new DuplexError({ code: 'SERVICE_UNAVAILABLE', message: 'outgoing queue is full', retryable: true }),
      );
    }
    const id = this.nextId++;
    const message: CallMessage = { t: 'call', id, kind, path };
    let bytes: Uint8Array | undefined;
    try {
      if (input !== undefined) [message.input, bytes] = this.encode(input);
    } catch (cause) {
      return Promise.reject(new DuplexError({ code: 'BAD_REQUEST', message: 'input could not be serialized', cause }));
    }
    return new Promise((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs;
      const call: PendingCall = {
        message,
        bytes,
        resolve,
        reject,
        deadline: timeoutMs === undefined ? undefined : this.options.clock.now() + timeoutMs,
        timer: undefined,
        link: 0,
        cleanup: undefined,
        retriesLeft: kind === 'query' ? (this.options.retryQueries ?? 0) : 0,
      };
      if (timeoutMs !== undefined) {
        call.timer = this.options.clock.setTimeout(
          () => this.abandon(id, new DuplexError({ code: 'TIMEOUT', message: `"${path}" timed out after ${timeoutMs} ms` })),
          timeoutMs,
        );
      }
      if (signal) {
        const onAbort = () => this.abandon(id, new DuplexError({ code: 'CANCELLED', message: 'call aborted', cause: signal.reason }));
        signal.addEventListener('abort', onAbort, { once: true });
        call.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.calls.set(id, call);
      if (connected) this.sendCall(call);
      else this.options.onDemand?.();
    });
  }

  /** Starts a subscription; returns the function that ends it. */
  subscribe(path: string, input: unknown, callbacks: SubscribeOptions<unknown>): () => void {
    // An exception in application code must not stop the rest of a frame.
    const options = guardedCallbacks(callbacks);
    if (this.closed) {
      queueMicrotask(() => options.onError?.(new DuplexError({ code: 'CANCELLED', message: 'client is closed' })));
      return () => {};
    }
    const id = this.nextId++;
    let encoded: unknown;
    let bytes: Uint8Array | undefined;
    try {
      if (input !== undefined) [encoded, bytes] = this.encode(input);
    } catch (cause) {
      queueMicrotask(() => options.onError?.(new DuplexError({ code: 'BAD_REQUEST', message: 'input could not be serialized', cause })));
      return () => {};
    }
    const sub: LiveSubscription = { id, path, input: encoded, bytes, lastEventId: undefined, options, link: 0, cleanup: undefined };
    const stop = () => this.unsubscribe(id);
    if (options.signal) {
      if (options.signal.aborted) return () => {};
      const signal = options.signal;
      signal.addEventListener('abort', stop, { once: true });
      sub.cleanup = () => signal.removeEventListener('abort', stop);
    }
    this.subs.set(id, sub);
    if (this.send && !this.held) this.sendSubscribe(sub);
    else this.options.onDemand?.();
    return stop;
  }

  /**
   * Handles one incoming frame from `link` (default: the current one): a string is a text frame,
   * bytes a binary frame. Messages about calls or subscriptions that live on another link are
   * ignored. Never throws.
   */
  receive(frame: string | Uint8Array, link = this.link): void {
    if (this.closed) return;
    let items: unknown[];
    let attachments: AttachmentReader | undefined;
    try {
      if (typeof frame !== 'string') ({ text: frame, attachments } = decodeBinaryFrame(frame));
      items = decodeFrame(frame);
    } catch {
      return; // not ours to repair; a healthy server never sends this
    }
    for (const item of items) {
      const parsed = parseServerMessage(item);
      if (parsed.ok) this.handle(parsed.message, link, attachments);
    }
  }

  /** Encodes an input; its binary values come back as one section, copied (the caller may reuse its buffers). */
  private encode(input: unknown): [payload: unknown, bytes: Uint8Array | undefined] {
    let parts: Uint8Array[] | undefined;
    let payload: unknown;
    try {
      payload = this.options.codec.encode(input, this.attachments);
    } finally {
      parts = this.attachments.take();
    }
    return [payload, parts && concatBytes(parts)];
  }

  private handle(message: ServerMessage, link: number, attachments?: AttachmentReader): void {
    switch (message.t) {
      case 'result': {
        const call = this.calls.get(message.id);
        if (!call || call.link !== link) return; // cancelled or timed out already
        this.calls.delete(message.id);
        let value: unknown;
        try {
          value = 'data' in message ? this.options.codec.decode(message.data, attachments) : undefined;
        } catch (cause) {
          this.settleCall(call, new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'result could not be decoded', cause }));
          return;
        }
        this.settleCall(call, undefined, value);
        return;
      }
      case 'error': {
        if (message.id === null) return; // a protocol complaint about a frame that named no id
        const error = errorFromShape(message.error);
        const call = this.calls.get(message.id);
        if (call?.link === link) {
          this.calls.delete(message.id);
          this.settleCall(call, error);
          return;
        }
        const sub = this.subs.get(message.id);
        if (sub?.link === link) {
          this.subs.delete(message.id);
          sub.cleanup?.();
          sub.options.onError?.(error);
          this.options.onSettle?.();
        }
        return;
      }
      case 'data': {
        const sub = this.subs.get(message.id);
        // After a handover, events still arriving on the old link are dropped: the new link
        // resumes from the last event id delivered before the move.
        if (!sub || sub.link !== link) return;
        let value: unknown;
        try {
          value = 'data' in message ? this.options.codec.decode(message.data, attachments) : undefined;
        } catch (cause) {
          this.unsubscribe(message.id);
          sub.options.onError?.(new DuplexError({ code: 'INTERNAL_SERVER_ERROR', message: 'event could not be decoded', cause }));
          return;
        }
        if (message.eid !== undefined) sub.lastEventId = message.eid;
        sub.options.onData?.(value, { id: message.eid });
        return;
      }
      case 'done': {
        const sub = this.subs.get(message.id);
        if (!sub || sub.link !== link) return;
        this.subs.delete(message.id);
        sub.cleanup?.();
        sub.options.onComplete?.();
        this.options.onSettle?.();
        return;
      }
      case 'ping':
        this.push(JSON.stringify({ t: 'pong' }));
        return;
      case 'ready':
      case 'pong':
      case 'goaway':
        this.options.onServerNotice?.(message);
    }
  }

  /** Sends an application-level ping (the server answers `pong`). */
  ping(): void {
    this.push(JSON.stringify({ t: 'ping' }));
  }

  private unsubscribe(id: number): void {
    const sub = this.subs.get(id);
    if (!sub) return;
    this.subs.delete(id);
    sub.cleanup?.();
    this.cancelOn(sub.link, id);
    this.options.onSettle?.();
  }

  /** Gives up on a call locally (abort / timeout) and tells the server to stop its handler. */
  private abandon(id: number, error: DuplexError): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    this.cancelOn(call.link, id);
    this.settleCall(call, error);
  }

  private settleCall(call: PendingCall, error: DuplexError | undefined, value?: unknown): void {
    if (call.timer !== undefined) this.options.clock.clearTimeout(call.timer);
    call.timer = undefined;
    call.cleanup?.();
    if (error) call.reject(error);
    else call.resolve(value);
    this.options.onSettle?.();
  }

  /** Calls written to `link`, or waiting for one (link 0). */
  private count(link: number): number {
    let count = 0;
    for (const call of this.calls.values()) if (call.link === link) count++;
    return count;
  }

  /** Tells the server holding `id` to stop it, on whichever link it runs. */
  private cancelOn(link: number, id: number): void {
    const text = JSON.stringify({ t: 'cancel', id });
    if (link !== 0 && link === this.link) this.push(text);
    else if (link !== 0 && link === this.previous?.link) this.sendPrevious(text);
  }

  private sendPrevious(frame: string): void {
    try {
      this.previous?.send(frame);
    } catch {
      // The old link is closing; its server ends what ran there.
    }
  }

  private sendCall(call: PendingCall): void {
    call.link = this.link;
    if (call.deadline !== undefined) {
      // The server gets the time left, so its handler's signal aborts when ours does.
      call.message.timeoutMs = Math.max(1, call.deadline - this.options.clock.now());
    }
    const text = JSON.stringify(call.message);
    const frame = call.bytes ? encodeBinaryFrame(text, [call.bytes]) : text;
    const error = this.tooLarge(frame);
    if (!error) return this.push(frame);
    this.calls.delete(call.message.id);
    this.settleCall(call, error);
  }

  /** The error for a frame over `maxMessageBytes` (text in UTF-8, encoded only when it could be). */
  private tooLarge(frame: string | Uint8Array): DuplexError | undefined {
    const max = this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (typeof frame !== 'string' ? frame.byteLength > max : frame.length * 3 > max && new TextEncoder().encode(frame).length > max)
      return new DuplexError({ code: 'PAYLOAD_TOO_LARGE', message: 'over maxMessageBytes' });
  }

  private sendSubscribe(sub: LiveSubscription): void {
    sub.link = this.link;
    const message: SubscribeMessage = { t: 'sub', id: sub.id, path: sub.path };
    if (sub.input !== undefined) message.input = sub.input;
    if (sub.lastEventId !== undefined) message.lastEventId = sub.lastEventId;
    const text = JSON.stringify(message);
    const frame = sub.bytes ? encodeBinaryFrame(text, [sub.bytes]) : text;
    const error = this.tooLarge(frame);
    if (!error) return this.push(frame);
    this.subs.delete(sub.id);
    sub.cleanup?.();
    sub.options.onError?.(error);
    this.options.onSettle?.();
  }

  /**
   * What is written in the same tick leaves in one frame (a microtask, never a timer), unless it
   * gathers for longer than the batch budget (see batch-timer.ts); binary frames go alone, in order.
   */
  private push(item: string | Uint8Array): void {
    if (!this.send) return;
    const size = typeof item === 'string' ? item.length : item.byteLength;
    if (this.outboxChars + size > BATCH_CHARS || this.batch.expired(this.outbox.length)) this.flush();
    if (this.outbox.length === 0) this.batch.begin();
    this.outboxChars += size;
    this.outbox.push(item);
    if (typeof item !== 'string') this.outboxBinary = true;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const out = this.outbox;
    this.outboxChars = 0;
    if (out.length === 0 || !this.send) return;
    this.outbox = [];
    if (!this.outboxBinary) return this.send(joinFrame(out as string[]));
    this.outboxBinary = false;
    for (const frame of joinFrames(out)) this.send(frame);
  }
}
