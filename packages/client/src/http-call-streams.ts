import { type ClientMessage, DEFAULT_STREAM_WINDOW } from '@duplex/core';
import { readEvent } from './http-frames.js';
import { readSse } from './sse-reader.js';

type CallMessage = Extract<ClientMessage, { t: 'call' }>;
type Message = { t: string; id?: number | null; stream?: boolean; [field: string]: unknown };

/**
 * Reads the answer to a call request that came as an event stream (protocol.md §12): the calls'
 * answers, then the items of their streamed results, then each one's `done` or `error`. The body
 * is read only while every open stream has credit left (the window of its `call`, plus what the
 * client grants back as its application consumes items, §7.2), so a reader that stops reading
 * leaves the bytes in TCP and the server's producer waits, as on the socket. Streams of one batch
 * share its response: while one of them is out of credit, the others wait too.
 */
export class HttpCallStreams {
  /** Open streams: items each may still receive. */
  private readonly left = new Map<number, number>();
  /** Streams the client cancelled while others still share the response: their messages are dropped. */
  private readonly cancelled = new Set<number>();
  private wake: (() => void) | undefined;

  /**
   * @param single the id of the one call the request carried (its messages come without ids), else undefined for a batch
   * @param controller aborts the request; aborted once no stream the client still wants is left
   */
  constructor(
    private readonly calls: readonly CallMessage[],
    private readonly single: number | undefined,
    private readonly controller: AbortController,
  ) {
    controller.signal.addEventListener('abort', () => this.resume(), { once: true });
  }

  /** The client granted `n` more items of stream `id`; false when `id` is not open here. */
  grant(id: number, n: number): boolean {
    const left = this.left.get(id);
    if (left === undefined) return false;
    this.left.set(id, left + n);
    this.resume();
    return true;
  }

  /** The client cancelled stream `id`; false when `id` is not open here. The request ends with its last wanted stream. */
  cancel(id: number): boolean {
    if (!this.left.delete(id)) return false;
    this.cancelled.add(id);
    if (this.left.size === 0) this.controller.abort();
    this.resume();
    return true;
  }

  /**
   * Delivers each message with its call's id. Resolves true when the response ended with every
   * stream ended, false when it was cut (or the server's peer closed) before; an abort stops it.
   */
  async read(body: ReadableStream<Uint8Array>, deliver: (message: Message, section?: Uint8Array) => void): Promise<boolean> {
    const { signal } = this.controller;
    for await (const data of readSse(body)) {
      const { message, section } = readEvent(data) as { message: Message; section?: Uint8Array };
      // A batch's message without an id: the request's peer closed before its streams ended.
      if (this.single === undefined && typeof message.id !== 'number') return false;
      const id = this.single ?? (message.id as number);
      if (this.cancelled.has(id)) {
        if (message.t !== 'data') this.cancelled.delete(id);
        continue;
      }
      if (message.t === 'result' && message.stream) this.left.set(id, this.calls.find((call) => call.id === id)?.credit ?? DEFAULT_STREAM_WINDOW);
      else if (message.t === 'data') this.left.set(id, (this.left.get(id) ?? 1) - 1);
      else this.left.delete(id);
      deliver({ ...message, id }, section);
      while (!signal.aborted && this.outOfCredit()) await new Promise<void>((resolve) => (this.wake = resolve));
      if (signal.aborted) return true;
    }
    return this.left.size === 0;
  }

  private outOfCredit(): boolean {
    for (const left of this.left.values()) if (left <= 0) return true;
    return false;
  }

  private resume(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
