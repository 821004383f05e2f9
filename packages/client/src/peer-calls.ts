import {
  type AttachmentReader,
  type CallKind,
  type CallMessage,
  DEFAULT_STREAM_WINDOW,
  DuplexError,
  isStreamSource,
  type StreamSource,
  type TimerHandle,
} from '@duplex/core';
import { CallQueue } from './call-queue.js';
import { CallStreams } from './call-streams.js';
import { closedError, failure, type PeerLink } from './peer-link.js';
import type { CallOptions } from './types.js';
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
  /** The link it was written to; 0 while waiting for one, -1 once settled. */
  link: number;
  /** True while it sits in the queue. */
  waiting: boolean;
  /** True while it waits in the queue of client streams held back by the server's `maxClientStreams`. */
  held: boolean;
  /** The server it was written to keeps a dedupe window: after a lost link it is sent again. */
  deduped: boolean;
  cleanup: (() => void) | undefined;
  /** Queries only: re-sends left after a lost connection (see `retryQueries`). */
  retriesLeft: number;
  /** The call's client stream (protocol.md §7.2), sent as the server grants credit; such a call is never sent again. */
  source: StreamSource<unknown> | undefined;
}

/** Default bound of the client's queue of calls waiting for a connection or a free slot. */
export const DEFAULT_MAX_QUEUED_CALLS = 50_000;

/**
 * The queries and mutations of a {@link ClientPeer}: pending calls by id, the bounded queue of
 * calls waiting for a link or for a slot under the server's `maxCallsInFlight`, deadlines and
 * aborts, re-sends after a lost link (deduped mutations, `retryQueries`), and the streams of
 * calls ({@link CallStreams}).
 */
export class PeerCalls {
  readonly #calls = new Map<number, PendingCall>();
  /** Calls waiting for a connection, for `ready`, or for a free slot. */
  readonly #queue = new CallQueue<PendingCall>();
  /** Client-stream calls that found the server's `maxClientStreams` taken: they wait here, in order, without blocking other calls. */
  readonly #held = new CallQueue<PendingCall>();
  /** Calls written to the current link and not yet answered. */
  inFlight = 0;
  /** Of those, calls with a client stream (the server counts them against `maxClientStreams` until they end). */
  #uploads = 0;
  #seq = 0;
  /** The highest `seq` written to any link (told in `hello`: below it, a server that lost the session never re-runs). */
  sentSeq = 0;
  /** Client streams being sent and streamed results being read. */
  readonly streams: CallStreams;
  readonly #link: PeerLink;

  constructor(link: PeerLink) {
    this.#link = link;
    this.streams = new CallStreams(link, (id, error) => this.#abandon(id, error));
  }

  /** Pending calls, open streams included. */
  get size(): number {
    return this.#calls.size + this.streams.size;
  }

  /** Calls written to `link` and not yet answered. */
  inFlightOn(link: number): number {
    if (link === 0) return 0;
    if (link === this.#link.id) return this.inFlight;
    let count = 0;
    for (const call of this.#calls.values()) if (call.link === link) count++;
    return count;
  }

  /** Starts a query or mutation. */
  call(kind: CallKind, path: string, input: unknown, opts: CallOptions = {}): Promise<unknown> {
    const link = this.#link;
    const { options } = link;
    if (link.closed) return Promise.reject(closedError());
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(aborted(signal));
    const maxQueued = options.maxQueuedCalls ?? DEFAULT_MAX_QUEUED_CALLS;
    const waiting = this.#queue.size + this.#held.size;
    if (waiting >= maxQueued && !this.#sendsNow()) {
      return Promise.reject(
        new DuplexError({
          code: 'TOO_MANY_REQUESTS',
          message: `${waiting} calls are already waiting in this client (maxQueuedCalls ${maxQueued})`,
          retryable: true,
        }),
      );
    }
    const id = link.newId();
    const message: CallMessage = { t: 'call', id, kind, path };
    let bytes: Uint8Array | undefined;
    const source = isStreamSource(input) ? input : undefined;
    if (source) message.stream = true;
    if (opts.window !== undefined && opts.window !== DEFAULT_STREAM_WINDOW) message.credit = opts.window;
    try {
      if (input !== undefined && !source) [message.input, bytes] = link.encode(input);
    } catch (cause) {
      return Promise.reject(failure(cause, 'BAD_REQUEST', 'input could not be serialized'));
    }
    // A client stream is never sent again, so it needs no place in the server's dedupe window.
    if (kind === 'mutation' && !source) {
      message.seq = ++this.#seq;
      if (opts.idempotencyKey !== undefined) message.key = opts.idempotencyKey;
    }
    const tc = wireTraceContext(options.traceContext);
    if (tc) message.tc = tc;
    return new Promise((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? options.timeoutMs;
      const call: PendingCall = {
        message,
        bytes,
        resolve,
        reject,
        deadline: timeoutMs === undefined ? undefined : options.clock.now() + timeoutMs,
        timer: undefined,
        link: 0,
        waiting: false,
        held: false,
        deduped: false,
        cleanup: undefined,
        retriesLeft: kind === 'query' && !source ? (options.retryQueries ?? 0) : 0,
        source,
      };
      if (timeoutMs !== undefined) {
        call.timer = options.clock.setTimeout(
          () => this.#abandon(id, new DuplexError({ code: 'TIMEOUT', message: `"${path}" timed out after ${timeoutMs} ms` })),
          timeoutMs,
        );
      }
      if (signal) {
        const onAbort = () => this.#abandon(id, aborted(signal));
        signal.addEventListener('abort', onAbort, { once: true });
        call.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.#calls.set(id, call);
      if (this.#sendsNow() && !(source && this.#streamsFull())) return this.#send(call);
      this.#queue.push(call);
      if (link.outbox.attached) this.pump();
      else link.demand();
    });
  }

  /** A new call would leave at once: nothing waits before it and the server has a free slot. */
  #sendsNow(): boolean {
    return this.#link.canSend() && this.#queue.size === 0 && this.inFlight < this.#link.limits.maxCallsInFlight;
  }

  /** The server's `maxClientStreams` (stated in `ready.limits`; unstated: no limit) is taken on the current link. */
  #streamsFull(): boolean {
    return this.#uploads >= (this.#link.limits.maxClientStreams ?? Number.POSITIVE_INFINITY);
  }

  /**
   * Sends queued calls while the server's `maxCallsInFlight` leaves room; a client-stream call
   * that finds `maxClientStreams` taken moves to the held queue, and the calls behind it go on.
   */
  pump(): void {
    if (!this.#link.canSend()) return;
    while (this.inFlight < this.#link.limits.maxCallsInFlight) {
      const call = this.#queue.shift();
      if (!call) return;
      if (call.source && this.#streamsFull()) {
        call.held = true;
        this.#held.push(call);
        continue;
      }
      this.#send(call);
    }
  }

  /** The held client-stream calls go back to the front of the queue (a stream ended, or a new link): `pump` holds again what still finds no room. */
  #unhold(): void {
    const back = this.#held.drain();
    for (const call of back) call.held = false;
    this.#queue.unshift(back);
  }

  /** A client-stream call on the current link ended: a held one may go. */
  #uploadEnded(): void {
    this.#uploads--;
    this.#unhold();
  }

  /** A new link: nothing is in flight on it yet. */
  relinked(): void {
    this.inFlight = this.#uploads = 0;
    this.#unhold();
  }

  #send(call: PendingCall): void {
    const link = this.#link;
    const { message } = call;
    if (call.deadline !== undefined) {
      // The server gets the time left, so its handler's signal aborts when ours does.
      message.timeoutMs = Math.max(1, call.deadline - link.options.clock.now());
    }
    const frame = link.frame(message, call.bytes, message.path);
    if (frame instanceof DuplexError) {
      this.#calls.delete(message.id);
      this.#settle(call, frame);
      return;
    }
    call.link = link.id;
    call.deduped = link.dedupe;
    if (message.seq !== undefined && message.seq > this.sentSeq) this.sentSeq = message.seq;
    this.inFlight++;
    if (call.source) this.#uploads++;
    link.outbox.push(frame);
    if (call.source) this.streams.startInput(message.id, message.path, link.id, call.source);
  }

  /** A `result` for call `id` on `link` (ignored when the call is no longer there, or lives on another link). */
  result(message: { id: number; data?: unknown; stream?: true }, link: number, attachments: AttachmentReader | undefined): void {
    const call = this.#take(message.id, link);
    if (!call) return; // cancelled or timed out already
    if (message.stream) return this.#resolveStreamed(call, link);
    let value: unknown;
    try {
      value = this.#link.decode(message, attachments);
    } catch (cause) {
      return this.#settle(call, failure(cause, 'INTERNAL_SERVER_ERROR', 'result could not be decoded'));
    }
    this.#settle(call, undefined, value);
  }

  /** An `error` for call `id` on `link`: the call, or else its streamed result, fails. */
  error(id: number, error: DuplexError, link: number): void {
    const call = this.#take(id, link);
    if (call) this.#settle(call, error);
    else this.streams.fail(id, error, link);
  }

  /** Removes and returns call `id` if it runs on `link`. */
  #take(id: number, link: number): PendingCall | undefined {
    const call = this.#calls.get(id);
    if (call?.link !== link) return undefined;
    this.#calls.delete(id);
    return call;
  }

  /**
   * A call answered with a stream: the caller gets an AsyncIterable of its items. The call keeps
   * its slot under the server's `maxCallsInFlight` (the server still runs it) until the stream ends.
   */
  #resolveStreamed(call: PendingCall, link: number): void {
    this.#stopTimer(call);
    const stream = this.streams.openResult(call.message.id, link, call.message.credit ?? DEFAULT_STREAM_WINDOW, () => {
      call.cleanup?.();
      call.link = -1;
      if (link === this.#link.id) {
        this.inFlight--;
        if (call.source) this.#uploadEnded();
        this.pump();
      }
      this.#link.settled();
    });
    call.resolve(stream);
  }

  /** Gives up on a call locally (abort / timeout) and tells the server to stop its handler. */
  #abandon(id: number, error: DuplexError): void {
    const call = this.#calls.get(id);
    if (!call) {
      // Its result may be streaming: the signal ends both halves.
      this.#link.cancel(this.streams.fail(id, error, undefined, true), id);
      return;
    }
    this.#calls.delete(id);
    this.#link.cancel(call.link, id);
    this.#settle(call, error);
  }

  #stopTimer(call: PendingCall): void {
    if (call.timer !== undefined) this.#link.options.clock.clearTimeout(call.timer);
    call.timer = undefined;
  }

  #settle(call: PendingCall, error: DuplexError | undefined, value?: unknown): void {
    this.#stopTimer(call);
    call.cleanup?.();
    if (call.source) this.streams.stopInput(call.message.id);
    if (call.held) {
      call.held = false;
      this.#held.remove(call);
    } else this.#queue.remove(call);
    const freed = call.link !== 0 && call.link === this.#link.id;
    call.link = -1;
    if (freed) {
      this.inFlight--;
      if (call.source) this.#uploadEnded();
    }
    if (error) call.reject(error);
    else call.resolve(value);
    if (freed) this.pump();
    this.#link.settled();
  }

  /**
   * Link `link` is gone (0: none was attached). Calls sent on it fail with a retryable
   * `SERVICE_UNAVAILABLE`, except deduped mutations and queries with `retryQueries` left, which
   * go back to the front of the queue; `lostWith` replaces that error and stops the re-sends.
   * With `fatal`, every call fails with it, queued ones too.
   */
  lost(link: number, fatal: DuplexError | undefined, lostWith: DuplexError | undefined): void {
    const again: PendingCall[] = [];
    for (const [id, call] of this.#calls) {
      if (!fatal && (link === 0 || call.link !== link || call.waiting)) continue;
      if (!fatal && !lostWith && sendAgain(call)) {
        call.link = 0;
        again.push(call);
        continue;
      }
      this.#calls.delete(id);
      this.#settle(
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
    if (fatal) this.streams.failAll(fatal);
    else if (link !== 0) {
      this.streams.failAll(
        lostWith ?? new DuplexError({ code: 'SERVICE_UNAVAILABLE', message: 'connection lost while the stream was open', retryable: true }),
        link,
      );
    }
  }

  /** The client closed: every call rejects with `CANCELLED`. */
  close(): void {
    this.#queue.drain();
    this.#held.drain();
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    for (const call of calls) this.#settle(call, closedError());
    this.streams.failAll(closedError());
  }
}

function aborted(signal: AbortSignal): DuplexError {
  return new DuplexError({ code: 'CANCELLED', message: 'call aborted', cause: signal.reason });
}

/** Whether a call lost with its link goes out again on the next one. */
function sendAgain(call: PendingCall): boolean {
  // A client stream was consumed as it was sent: it cannot go out again.
  if (call.source) return false;
  if (call.message.kind === 'mutation') return call.deduped;
  if (call.retriesLeft <= 0) return false;
  // Queries are safe to repeat (opt-in).
  call.retriesLeft--;
  return true;
}
