/** Process-local fan-out source shared by every system's `events` subscription. */
export class EventHub<TValue> {
  private readonly listeners = new Set<(value: TValue) => void>();

  get size(): number {
    return this.listeners.size;
  }

  on(listener: (value: TValue) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(value: TValue): void {
    for (const listener of this.listeners) listener(value);
  }
}

/** The hub as an async iterable that ends when `signal` aborts (for tRPC and duplex generators). */
export async function* iterateHub<TValue>(hub: EventHub<TValue>, signal: AbortSignal | undefined): AsyncGenerator<TValue> {
  const queue: TValue[] = [];
  let wake: (() => void) | undefined;
  const off = hub.on((value) => {
    queue.push(value);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (!signal?.aborted) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      // Drain in one go: the queue is swapped so values published during a yield are kept.
      const batch = queue.splice(0, queue.length);
      for (const value of batch) yield value;
    }
  } finally {
    off();
    signal?.removeEventListener('abort', onAbort);
  }
}
