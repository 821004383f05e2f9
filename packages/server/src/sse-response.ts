import { bytesToBase64, type Clock, encodeBinaryFrame, FRAME_EVENT, type TimerHandle } from '@duplex/core';

/** A protocol message as an SSE event carries it (subscription messages without their `id`). */
export interface SseMessage {
  t: string;
  eid?: string | undefined;
}

/** Default time between SSE comment lines that keep proxies from closing a quiet stream. */
export const DEFAULT_SSE_PING_MS = 10_000;

const encoder = new TextEncoder();

/**
 * One SSE event holding one protocol message; tracked events carry their id as the SSE `id`. A
 * message with an attachment `section` goes as a `frame` event: its binary frame in base64 (§12.1).
 */
export function sseEvent(message: SseMessage, section?: Uint8Array): Uint8Array {
  // An id line cannot hold a line break: such an event id is sent in the message only.
  const eid = message.t === 'data' && message.eid !== undefined && !/[\r\n]/.test(message.eid) ? `id: ${message.eid}\n` : '';
  if (section) return encoder.encode(`${eid}event: ${FRAME_EVENT}\ndata: ${bytesToBase64(encodeBinaryFrame(JSON.stringify(message), [section]))}\n\n`);
  return encoder.encode(`${eid}data: ${JSON.stringify(message)}\n\n`);
}

/**
 * The writable end of a `text/event-stream` body with backpressure: `whenWritable` is pending
 * while the reader has not taken what was queued, and comment pings keep the stream alive.
 */
export class SseWriter {
  readonly body: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private pulled: Promise<void> | undefined;
  private resolvePulled: (() => void) | undefined;
  private pingTimer: TimerHandle | undefined;
  private ended = false;
  private wrote = false;

  constructor(
    private readonly options: { clock: Clock; pingMs: number; onCancel: () => void },
  ) {
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.wake(),
        cancel: () => {
          this.end();
          options.onCancel();
        },
      },
      { highWaterMark: 16 },
    );
    this.armPing();
  }

  write(message: SseMessage, section?: Uint8Array): void {
    if (this.ended) return;
    this.controller.enqueue(sseEvent(message, section));
    this.wrote = true;
  }

  /** Pending while the reader is behind; undefined when it can take more now. */
  whenWritable(): Promise<void> | undefined {
    if (this.ended || (this.controller.desiredSize ?? 1) > 0) return undefined;
    this.pulled ??= new Promise<void>((resolve) => {
      this.resolvePulled = resolve;
    });
    return this.pulled;
  }

  /** Closes the stream (after the last event). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.pingTimer !== undefined) this.options.clock.clearTimeout(this.pingTimer);
    this.pingTimer = undefined;
    try {
      this.controller.close();
    } catch {
      // already closed by a cancel
    }
    this.wake();
  }

  private wake(): void {
    const resolve = this.resolvePulled;
    this.pulled = this.resolvePulled = undefined;
    resolve?.();
  }

  /** One timer per stream, not per event: a ping goes only after a whole quiet interval. */
  private armPing(): void {
    this.pingTimer = this.options.clock.setTimeout(() => {
      this.pingTimer = undefined;
      if (this.ended) return;
      if (!this.wrote) this.controller.enqueue(encoder.encode(': ping\n\n'));
      this.wrote = false;
      this.armPing();
    }, this.options.pingMs);
  }
}
