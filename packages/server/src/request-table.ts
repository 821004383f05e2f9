import type { Clock, DuplexError } from '@duplex/core';
import { type ActiveEntry, NO_ENTRIES } from './active-entry.js';

/**
 * A connection's running calls and subscriptions by id: which entry is the live one for an id,
 * what is running (for the limits, idle detection and devtools), releasing an entry, and the
 * waiters of a drain. The map is allocated by the first request: an idle connection shares one
 * empty map (memory per connection matters).
 */
export class RequestTable {
  private entries: Map<number, ActiveEntry> = NO_ENTRIES;
  /** Drain waiters; allocated only while a drain waits. */
  private settledWaiters: Array<() => void> | undefined = undefined;

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: number): ActiveEntry | undefined {
    return this.entries.get(id);
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  add(id: number, entry: ActiveEntry): void {
    if (this.entries === NO_ENTRIES) this.entries = new Map();
    this.entries.set(id, entry);
  }

  [Symbol.iterator](): IterableIterator<[number, ActiveEntry]> {
    return this.entries.entries();
  }

  /** True while `entry` is still the live one for `id` (not cancelled, timed out or closed). */
  isLive(id: number, entry: ActiveEntry): boolean {
    return this.entries.get(id) === entry;
  }

  /** Removes the entry if it is still the live one for `id`; false when it was already released. */
  finish(id: number, entry: ActiveEntry): boolean {
    if (this.entries.get(id) !== entry) return false;
    this.entries.delete(id);
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    // Waiters resume in a later microtask, after the caller has queued the result.
    this.notifySettled();
    return true;
  }

  /** Removes the live entry for `id` and releases it with `reason` (cancel, deadline, a refused stream). */
  drop(id: number, entry: ActiveEntry, reason: DuplexError): void {
    if (this.entries.get(id) !== entry) return;
    this.entries.delete(id);
    this.release(entry, reason);
    this.notifySettled();
  }

  /** Aborts `entry`'s handler signal and client stream with `reason` and wakes its stream loop. */
  release(entry: ActiveEntry, reason: DuplexError): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.input?.fail(reason);
    entry.abort(reason);
    entry.wake?.();
  }

  /** Forgets and releases every entry at once (the connection closed), without waiting for user code. */
  clear(reason: DuplexError): void {
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const entry of entries) this.release(entry, reason);
    this.notifySettled();
  }

  /** Calls and subscriptions running now. */
  get stats(): { calls: number; subscriptions: number } {
    let calls = 0;
    for (const entry of this.entries.values()) if (entry.kind === 'call') calls++;
    return { calls, subscriptions: this.entries.size - calls };
  }

  /** Calls with a client stream running now (counted only when one starts). */
  clientStreams(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.input) count++;
    return count;
  }

  /** Resolves once no call is running (subscriptions do not count). */
  callsSettled(): Promise<void> {
    if (this.stats.calls === 0) return Promise.resolve();
    return new Promise((resolve) => (this.settledWaiters ??= []).push(resolve));
  }

  private notifySettled(): void {
    const waiters = this.settledWaiters;
    if (!waiters || this.stats.calls > 0) return;
    this.settledWaiters = undefined;
    for (const resolve of waiters) resolve();
  }
}
