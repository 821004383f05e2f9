import { type AttachmentReader, DuplexError, type StreamSource } from '@duplex/core';
import { CreditFlow } from './credit-flow.js';
import { EventBuffer } from './event-buffer.js';
import { InputPump } from './input-pump.js';
import { failure, type PeerLink } from './peer-link.js';

interface OpenResult {
  buffer: EventBuffer;
  flow: CreditFlow;
  link: number;
  /** Frees what the stream held in the peer (its call slot); runs once. */
  onEnd: () => void;
}

/**
 * The streams of a client's calls (protocol.md §7.2): client streams being sent (one
 * {@link InputPump} per call) and streamed results being read (one {@link EventBuffer} per call).
 * A call may have both (a two-way stream); either side ending with an error or a cancel ends both.
 */
export class CallStreams {
  readonly #pumps = new Map<number, InputPump>();
  readonly #results = new Map<number, OpenResult>();

  readonly #link: PeerLink;
  /** Fails call `id` locally (and cancels it on the server). */
  readonly #abandon: (id: number, error: DuplexError) => void;

  constructor(link: PeerLink, abandon: (id: number, error: DuplexError) => void) {
    this.#link = link;
    this.#abandon = abandon;
  }

  get size(): number {
    return this.#pumps.size + this.#results.size;
  }

  /** Starts sending `source` for call `id` on `link`; nothing leaves before the server grants credit. */
  startInput(id: number, path: string, link: number, source: StreamSource<unknown>): void {
    const host = this.#link;
    const pump = new InputPump(source, {
      item: (value) => {
        let frame: string | Uint8Array | DuplexError;
        try {
          const [data, bytes] = host.encode(value);
          frame = host.frame({ t: 'data', id, data }, bytes, path);
        } catch (cause) {
          frame = failure(cause, 'BAD_REQUEST', 'a client stream item could not be serialized');
        }
        if (frame instanceof DuplexError) {
          this.#abandon(id, frame);
          return false;
        }
        host.send(frame, link);
        return true;
      },
      end: () => host.send(`{"t":"done","id":${id}}`, link),
      fail: (cause) => this.#abandon(id, new DuplexError({ code: 'CANCELLED', message: 'the client stream failed', cause })),
    });
    this.#pumps.set(id, pump);
  }

  /** The server granted `n` items of call `id`'s client stream. */
  grant(id: number, n: number): void {
    this.#pumps.get(id)?.grant(n);
  }

  /** Stops sending call `id`'s client stream (the call ended); its source's `return()` runs. */
  stopInput(id: number): void {
    const pump = this.#pumps.get(id);
    if (!pump) return;
    this.#pumps.delete(id);
    pump.stop();
  }

  /**
   * Call `id` answered with a stream on `link`. Returns what the caller iterates: consumed items
   * go back to the server as credit, and a loop that ends early cancels the call. `onEnd` runs
   * once when the stream is over, however it ends.
   */
  openResult(id: number, link: number, window: number, onEnd: () => void): AsyncIterable<unknown> {
    const flow = new CreditFlow(window, true);
    flow.start((n) => this.#link.send(`{"t":"credit","id":${id},"n":${n}}`, link));
    const buffer = new EventBuffer(flow, () => {
      if (this.#results.get(id)?.buffer !== buffer) return;
      this.#end(id);
      this.#link.cancel(link, id);
    });
    this.#results.set(id, { buffer, flow, link, onEnd });
    let read = false;
    return {
      [Symbol.asyncIterator]: () => {
        if (read) throw new TypeError('duplex: a streamed result can be iterated only once');
        read = true;
        return buffer.iterator();
      },
    };
  }

  /** One item of a streamed result (dropped when its call has none on `link`); one that cannot be decoded ends it. */
  data(message: { id: number; data?: unknown }, link: number, attachments: AttachmentReader | undefined): void {
    const { id } = message;
    const open = this.#results.get(id);
    if (!open || open.link !== link) return;
    let value: unknown;
    try {
      value = this.#link.decode(message, attachments);
    } catch (cause) {
      this.fail(id, failure(cause, 'INTERNAL_SERVER_ERROR', 'item could not be decoded'), link);
      this.#link.cancel(link, id);
      return;
    }
    open.flow.received();
    open.buffer.push(value);
  }

  /** The streamed result ended (`done`); false when `id` has none on `link`. */
  done(id: number, link: number): boolean {
    const open = this.#results.get(id);
    if (!open || open.link !== link) return false;
    this.#end(id);
    open.buffer.end();
    return true;
  }

  /**
   * The call's stream failed (`error`, a lost link, an abort). Returns the link it was read on, or
   * 0 when `id` has no open result on `link` (on any link when undefined). With `drop` the items
   * not yet read are let go (the caller gave up); otherwise the loop reads them first.
   */
  fail(id: number, error: DuplexError, link?: number, drop = false): number {
    const open = this.#results.get(id);
    if (!open || (link !== undefined && open.link !== link)) return 0;
    this.#end(id);
    open.buffer.fail(error, drop);
    return open.link;
  }

  /** Fails every streamed result read on `link` (all of them when undefined) with `error`. */
  failAll(error: DuplexError, link?: number): void {
    for (const [id, open] of [...this.#results]) if (link === undefined || open.link === link) this.fail(id, error);
    if (link === undefined) for (const id of [...this.#pumps.keys()]) this.stopInput(id);
  }

  #end(id: number): void {
    const open = this.#results.get(id);
    if (!open) return;
    this.#results.delete(id);
    this.stopInput(id);
    open.onEnd();
  }
}
