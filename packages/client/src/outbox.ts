import { joinFrame, joinFrames } from '@duplex/core';

/** Batches leave as frames of at most this many characters (or bytes), so many calls never add up to a frame the server refuses. */
const BATCH_CHARS = 65_536;

/**
 * What is written in the same tick leaves in one frame (a microtask, never a timer); binary
 * frames go alone, in order. Writes while no socket is attached are dropped: the peer re-sends
 * what still matters when the next one attaches.
 */
export class Outbox {
  private items: Array<string | Uint8Array> = [];
  /** True when the batch holds a binary frame. */
  private binary = false;
  private chars = 0;
  private scheduled = false;
  private send: ((frame: string | Uint8Array) => void) | undefined;

  /** Writes to `send` from now on; `undefined` detaches and drops what was not sent. */
  attach(send: ((frame: string | Uint8Array) => void) | undefined): void {
    if (this.send && send) this.flush();
    this.send = send;
    if (!send) this.clear();
  }

  get attached(): boolean {
    return this.send !== undefined;
  }

  push(item: string | Uint8Array): void {
    if (!this.send) return;
    const size = typeof item === 'string' ? item.length : item.byteLength;
    if (this.chars + size > BATCH_CHARS) this.flush();
    this.chars += size;
    this.items.push(item);
    if (typeof item !== 'string') this.binary = true;
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    const out = this.items;
    this.chars = 0;
    if (out.length === 0 || !this.send) return;
    this.items = [];
    if (!this.binary) return this.send(joinFrame(out as string[]));
    this.binary = false;
    for (const frame of joinFrames(out)) this.send(frame);
  }

  clear(): void {
    this.items = [];
    this.chars = 0;
    this.binary = false;
  }
}
