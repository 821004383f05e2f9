import { type Tracked, tracked } from '@duplex/server';

/**
 * A durable, append-only event source shared by every server in a test, standing in for the
 * database or stream a real app resumes from (it survives a server restart).
 */
export class EventLog {
  readonly items: number[] = [];
  private readonly waiters = new Set<() => void>();
  /** Subscription handlers currently running, across servers. */
  running = 0;

  append(count: number): void {
    for (let i = 0; i < count; i++) this.items.push(this.items.length);
    for (const wake of [...this.waiters]) wake();
  }

  /** Yields every event after `lastEventId`, then waits for more, until `signal` aborts. */
  async *since(lastEventId: string | undefined, signal: AbortSignal): AsyncGenerator<Tracked<number>> {
    let next = lastEventId === undefined ? 0 : Number(lastEventId) + 1;
    this.running++;
    try {
      while (!signal.aborted) {
        while (next < this.items.length) {
          yield tracked(String(next), this.items[next] as number);
          next++;
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            this.waiters.delete(wake);
            signal.removeEventListener('abort', wake);
            resolve();
          };
          this.waiters.add(wake);
          signal.addEventListener('abort', wake, { once: true });
        });
      }
    } finally {
      this.running--;
    }
  }
}
