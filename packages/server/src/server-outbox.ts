import { joinFrame, joinFrames } from '@duplex/core';
import { BATCH_FLUSH_CHARS } from './limits.js';

/**
 * One connection's outgoing batch: messages produced in the same tick leave together in one frame
 * (scheduled with a microtask or `process.nextTick`, never a timer); a binary frame (bytes) goes
 * on its own, in order. A batch stays a modest frame: backpressure and the client's size limit
 * see each one.
 */
export class ServerOutbox {
  private items: Array<string | Uint8Array> = [];
  /** True when the batch holds a binary frame (then it cannot be one joined text frame). */
  private binary = false;
  private chars = 0;
  private scheduled = false;

  constructor(
    private readonly send: (frame: string | Uint8Array) => void,
    private readonly schedule: (flush: () => void) => void,
  ) {}

  push(item: string | Uint8Array): void {
    const size = typeof item === 'string' ? item.length : item.byteLength;
    if (this.chars + size > BATCH_FLUSH_CHARS && this.items.length > 0) this.flush();
    this.items.push(item);
    this.chars += size;
    if (typeof item !== 'string') this.binary = true;
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    const out = this.items;
    if (out.length === 0) return;
    this.chars = 0;
    const frames = this.binary ? joinFrames(out) : undefined;
    const frame = frames ? undefined : joinFrame(out as string[]);
    this.binary = false;
    out.length = 0;
    try {
      if (frames) for (const each of frames) this.send(each);
      else this.send(frame as string);
    } catch {
      // The socket is closing; its close event disposes the peer.
    }
  }

  /** Drops what was not sent (the connection is gone). */
  clear(): void {
    this.items.length = 0;
    this.chars = 0;
    this.binary = false;
  }
}
