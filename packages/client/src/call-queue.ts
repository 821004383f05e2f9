/**
 * A first-in first-out queue of calls waiting for a connection or for a free slot under the
 * server's `maxCallsInFlight`. Removing from the middle (a call aborted while waiting) is O(1):
 * the entry is skipped when it reaches the front.
 */
export class CallQueue<TItem extends { waiting: boolean }> {
  private items: TItem[] = [];
  private head = 0;
  private count = 0;

  /** Calls waiting. */
  get size(): number {
    return this.count;
  }

  push(item: TItem): void {
    item.waiting = true;
    this.items.push(item);
    this.count++;
  }

  /** Puts calls back at the front, in the given order (calls re-sent after a lost link go first). */
  unshift(items: readonly TItem[]): void {
    if (items.length === 0) return;
    for (const item of items) item.waiting = true;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
    this.count += items.length;
  }

  /** Marks a waiting call as gone; the queue skips it. */
  remove(item: TItem): void {
    if (!item.waiting) return;
    item.waiting = false;
    this.count--;
  }

  shift(): TItem | undefined {
    while (this.head < this.items.length) {
      const item = this.items[this.head++] as TItem;
      if (!item.waiting) continue;
      item.waiting = false;
      this.count--;
      this.compact();
      return item;
    }
    this.compact();
    return undefined;
  }

  /** Every waiting call, in order, and empties the queue. */
  drain(): TItem[] {
    const out = this.items.slice(this.head).filter((item) => item.waiting);
    for (const item of out) item.waiting = false;
    this.items = [];
    this.head = 0;
    this.count = 0;
    return out;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
