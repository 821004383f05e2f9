import { type AttachmentReader, DuplexError, type SubscribeMessage, type WireTraceContext } from '@duplex/core';
import { type CreditFlow, consumeAfter } from './credit-flow.js';
import { closedError, failure, type PeerLink } from './peer-link.js';
import type { SubscribeOptions } from './types.js';
import { guardedCallbacks } from './user-callback.js';
import { wireTraceContext } from './wire-trace-context.js';

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

/**
 * The subscriptions of a {@link ClientPeer}: each is sent when a link is ready and sent again on
 * the next one after a lost link or a handover, resuming after the last event id delivered;
 * events go to `onData` under the subscription's credit window.
 */
export class PeerSubscriptions {
  readonly #subs = new Map<number, LiveSubscription>();
  readonly #link: PeerLink;

  constructor(link: PeerLink) {
    this.#link = link;
  }

  get size(): number {
    return this.#subs.size;
  }

  /**
   * Starts a subscription; returns the function that ends it. With a `flow`, the server may run
   * at most its window ahead of what the application consumed: an `onData` event counts as
   * consumed when the callback returns (or its promise settles), unless the flow is manual.
   */
  subscribe(path: string, input: unknown, callbacks: SubscribeOptions<unknown>, flow?: CreditFlow): () => void {
    const link = this.#link;
    // An exception in application code must not stop the rest of a frame.
    const options = guardedCallbacks(callbacks);
    let encoded: unknown;
    let bytes: Uint8Array | undefined;
    let error: DuplexError | undefined;
    if (link.closed) error = closedError();
    else {
      try {
        if (input !== undefined) [encoded, bytes] = link.encode(input);
      } catch (cause) {
        error = failure(cause, 'BAD_REQUEST', 'input could not be serialized');
      }
    }
    if (error) {
      const refused = error;
      queueMicrotask(() => options.onError?.(refused));
      return () => {};
    }
    const id = link.newId();
    const sub: LiveSubscription = { id, path, input: encoded, bytes, lastEventId: undefined, options, link: 0, cleanup: undefined, flow, tc: wireTraceContext(link.options.traceContext) };
    const stop = () => {
      if (this.#subs.get(id) !== sub) return;
      link.cancel(sub.link, id);
      this.#end(sub, false);
    };
    const { signal } = options;
    if (signal) {
      if (signal.aborted) return () => {};
      signal.addEventListener('abort', stop, { once: true });
      sub.cleanup = () => signal.removeEventListener('abort', stop);
    }
    this.#subs.set(id, sub);
    if (link.canSend()) this.#send(sub);
    else link.demand();
    return stop;
  }

  /**
   * The link is ready: every subscription not on it is sent (again), resuming from its last event
   * id; those that ran on the link being drained are cancelled there.
   */
  resume(): void {
    const link = this.#link;
    const cancels: string[] = [];
    for (const sub of [...this.#subs.values()]) {
      if (sub.link === link.id) continue;
      if (link.previous && sub.link === link.previous.id) cancels.push(`{"t":"cancel","id":${sub.id}}`);
      this.#send(sub);
    }
    if (cancels.length > 0) link.sendPrevious(cancels.length === 1 ? (cancels[0] as string) : `[${cancels.join(',')}]`);
  }

  #send(sub: LiveSubscription): void {
    const link = this.#link;
    const message: SubscribeMessage = { t: 'sub', id: sub.id, path: sub.path };
    if (sub.input !== undefined) message.input = sub.input;
    if (sub.lastEventId !== undefined) message.lastEventId = sub.lastEventId;
    if (sub.tc) message.tc = sub.tc;
    if (sub.flow) message.credit = sub.flow.start((n) => this.#sendCredit(sub, n));
    let frame = link.frame(message, sub.bytes, sub.path);
    if (!(frame instanceof DuplexError)) frame = this.#overLimit() ?? frame;
    if (frame instanceof DuplexError) return this.#end(sub, frame);
    sub.link = link.id;
    link.outbox.push(frame);
  }

  /** Returns `n` credits to the server running `sub`, if it still runs there. */
  #sendCredit(sub: LiveSubscription, n: number): void {
    if (sub.link === 0 || sub.link !== this.#link.id || this.#subs.get(sub.id) !== sub) return;
    this.#link.outbox.push(`{"t":"credit","id":${sub.id},"n":${n}}`);
  }

  /** The refusal of one more subscription on a link that holds the server's `maxSubscriptions`. */
  #overLimit(): DuplexError | undefined {
    const max = this.#link.limits.maxSubscriptions;
    if (this.#subs.size <= max) return undefined;
    let live = 0;
    for (const sub of this.#subs.values()) if (sub.link === this.#link.id) live++;
    if (live < max) return undefined;
    return new DuplexError({ code: 'TOO_MANY_REQUESTS', message: `the server allows ${max} subscriptions per connection (maxSubscriptions)` });
  }

  /** The subscription `id` if it runs on `link`. */
  #on(id: number, link: number): LiveSubscription | undefined {
    const sub = this.#subs.get(id);
    return sub?.link === link ? sub : undefined;
  }

  /**
   * A `data` message; false when no subscription `id` runs on `link` (it may be a streamed result's
   * item). After a handover, events still arriving on the old link are dropped: the new link
   * resumes from the last event id delivered before the move.
   */
  data(message: { id: number; data?: unknown; eid?: string }, link: number, attachments: AttachmentReader | undefined): boolean {
    const sub = this.#on(message.id, link);
    if (!sub) return false;
    let value: unknown;
    try {
      value = this.#link.decode(message, attachments);
    } catch (cause) {
      this.#link.cancel(link, sub.id);
      this.#end(sub, failure(cause, 'INTERNAL_SERVER_ERROR', 'event could not be decoded'));
      return true;
    }
    if (message.eid !== undefined) sub.lastEventId = message.eid;
    sub.flow?.received();
    const handled: unknown = sub.options.onData?.(value, { id: message.eid });
    if (sub.flow && !sub.flow.manual) consumeAfter(sub.flow, handled);
    return true;
  }

  /** The server ended subscription `id` on `link` with `error`, or completed it (`done`); false when it runs elsewhere. */
  end(id: number, link: number, error?: DuplexError): boolean {
    const sub = this.#on(id, link);
    if (sub) this.#end(sub, error);
    return sub !== undefined;
  }

  /** Ends `sub` here: `onError` with an error, `onComplete` without, neither with `false`. */
  #end(sub: LiveSubscription, error: DuplexError | false | undefined): void {
    this.#subs.delete(sub.id);
    sub.cleanup?.();
    if (error) sub.options.onError?.(error);
    else if (error === undefined) sub.options.onComplete?.();
    this.#link.settled();
  }

  /** Link `link` is gone: its subscriptions wait for the next one, or all fail with `fatal`. */
  lost(link: number, fatal: DuplexError | undefined): void {
    for (const sub of [...this.#subs.values()]) {
      if (fatal) this.#end(sub, fatal);
      else if (link !== 0 && sub.link === link) sub.link = 0;
    }
  }

  /** The client closed: every subscription completes. */
  close(): void {
    for (const sub of [...this.#subs.values()]) this.#end(sub, undefined);
  }
}
