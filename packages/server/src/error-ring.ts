/**
 * A bounded buffer of the most recent items: pushing past `capacity` drops the oldest, so memory
 * stays fixed however many errors a server sees.
 */
export class ErrorRing<TItem> {
  private readonly items: TItem[] = [];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  push(item: TItem): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The items, newest first. */
  newestFirst(): TItem[] {
    const ordered = this.items.length < this.capacity ? [...this.items] : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
    return ordered.reverse();
  }

  get size(): number {
    return this.items.length;
  }
}
