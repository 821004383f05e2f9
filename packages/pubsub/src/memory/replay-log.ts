import type { RawEvent } from '../driver.js';

/** A bounded, append-only log of the latest events of one topic, for in-process resume. */
export class ReplayLog {
  readonly #events: RawEvent[] = [];
  readonly #maxEvents: number;

  constructor(maxEvents: number) {
    this.#maxEvents = maxEvents;
  }

  /** Appends an event, dropping the oldest beyond the bound. */
  append(event: RawEvent): void {
    if (this.#maxEvents <= 0) return;
    this.#events.push(event);
    if (this.#events.length > this.#maxEvents) this.#events.shift();
  }

  /** The events after `id`, or `undefined` when `id` is not in the log (trimmed or unknown). */
  after(id: string): RawEvent[] | undefined {
    for (let index = this.#events.length - 1; index >= 0; index--) {
      if (this.#events[index]?.id === id) return this.#events.slice(index + 1);
    }
    return undefined;
  }
}
