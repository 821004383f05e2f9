import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The event source of the fault bench: event `seq` is published at `epoch + seq · periodMs`.
 * A pure function of time, so it outlives any server instance (like a durable log): a server
 * started after a restart can replay everything after a client's `lastEventId`.
 */
export class SeqClock {
  readonly epoch = performance.now();
  constructor(readonly periodMs = 10) {}

  /** The newest seq published so far. */
  current(): number {
    return Math.floor((performance.now() - this.epoch) / this.periodMs);
  }

  timeOf(seq: number): number {
    return this.epoch + seq * this.periodMs;
  }
}

/** Parses a `lastEventId` back to a seq; `undefined` for none or garbage. */
export function seqAfter(lastEventId: string | null | undefined): number | undefined {
  if (lastEventId === undefined || lastEventId === null) return undefined;
  const seq = Number(lastEventId);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

/**
 * Yields seqs as they are published, starting after `after` (replaying what was published since)
 * or, without a cursor, at the newest one. Ends when `signal` aborts.
 */
export async function* seqStream(clock: SeqClock, after: number | undefined, signal: AbortSignal): AsyncGenerator<number> {
  let next = after === undefined ? clock.current() : after + 1;
  while (!signal.aborted) {
    const now = clock.current();
    while (next <= now) {
      yield next++;
      if (signal.aborted) return;
    }
    try {
      await sleep(Math.max(1, clock.timeOf(next) - performance.now()), undefined, { signal });
    } catch {
      return;
    }
  }
}
