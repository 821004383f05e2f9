import type { ErrorShape, ServerMessage } from '@duplex/core';
import type { RequestPeer } from './request-peer.js';
import type { SseWriter } from './sse-response.js';

type StreamMessage = Extract<ServerMessage, { t: 'data' | 'done' | 'error' }>;

/**
 * The streamed results of one HTTP request (protocol.md §12): after the request's answers, each
 * stream's `data` items, then its `done` or `error`, as SSE events of the response, which ends
 * with the last stream. Each item taken by the body gives its credit (§7.2) back to the peer, and
 * the peer pulls a producer only while the body has room, so producers run as fast as the client
 * reads: a client that stops reading stops them within one window plus the body's queue.
 */
export class CallStreamResponse {
  private readonly open = new Set<number>();
  /** Messages that came before the response existed (the first window), in order. */
  private queued: Array<[StreamMessage, Uint8Array | undefined]> | undefined = [];
  private writer: SseWriter | undefined;
  private owed: Map<number, number> | undefined;
  private ended = false;

  /**
   * @param withIds Batch responses keep each message's `id`; the response to one call drops it, as its JSON answer does.
   * @param onEnd Releases the request once the response has ended, however it ended.
   */
  constructor(
    private readonly peer: RequestPeer,
    private readonly withIds: boolean,
    private readonly onEnd: () => void,
  ) {}

  /** Call `id` answered with a stream. */
  add(id: number): void {
    this.open.add(id);
  }

  /** True while call `id`'s stream is open. */
  has(id: number | null): boolean {
    return id !== null && this.open.has(id);
  }

  /** One message of an open stream: an item (with its attachment `section` if it holds bytes), or the `done` / `error` that ends it. */
  push(message: StreamMessage, section?: Uint8Array): void {
    if (this.ended || !this.has(message.id)) return;
    if (message.t !== 'data') this.open.delete(message.id as number);
    if (this.queued) return void this.queued.push([message, section]);
    this.write(message, section);
    if (this.open.size === 0) this.end();
  }

  /** Writes to `writer` from now on, starting with what came before it; the caller has written the answers. */
  attach(writer: SseWriter): void {
    this.writer = writer;
    this.peer.setBackpressure(() => writer.whenWritable());
    const queued = this.queued ?? [];
    this.queued = undefined;
    for (const [message, section] of queued) this.write(message, section);
    if (this.open.size === 0) this.end();
  }

  /** The request's peer closed before its streams ended (a limit, `createContext` failing on a later check). */
  fail(error: ErrorShape): void {
    if (this.ended) return;
    if (this.writer) this.writer.write({ t: 'error', id: null, error } as ServerMessage);
    this.end();
  }

  /** Ends the response: the last stream ended, the client went away, or the server closes. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.writer?.end();
    this.onEnd();
  }

  private write(message: StreamMessage, section: Uint8Array | undefined): void {
    if (this.withIds) (this.writer as SseWriter).write(message, section);
    else {
      const { id: _id, ...rest } = message;
      (this.writer as SseWriter).write(rest, section);
    }
    if (message.t === 'data') this.grant(message.id);
  }

  /** One credit back per item written, for all streams in one frame per tick. */
  private grant(id: number): void {
    if (!this.owed) {
      this.owed = new Map();
      queueMicrotask(() => this.flush());
    }
    this.owed.set(id, (this.owed.get(id) ?? 0) + 1);
  }

  private flush(): void {
    const owed = this.owed;
    this.owed = undefined;
    if (!owed || this.ended) return;
    const credits = [...owed].filter(([id]) => this.open.has(id)).map(([id, n]) => ({ t: 'credit', id, n }));
    if (credits.length > 0) this.peer.peer.receive(JSON.stringify(credits));
  }
}
