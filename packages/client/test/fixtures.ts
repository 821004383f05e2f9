import { vi } from 'vitest';
import { type Clock, systemClock } from '@duplex/core';
import { initDuplex, type Tracked, tracked } from '@duplex/server';
import { deferred, type Deferred } from '@duplex/test-utils';
import { z } from 'zod';

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

/** Hooks a test uses to hold a call open and watch its handler's signal. */
export interface SlowHooks {
  started: Deferred<AbortSignal>;
  finish: Deferred<string>;
}

export function slowHooks(): SlowHooks {
  return { started: deferred<AbortSignal>(), finish: deferred<string>() };
}

/** The router of the fault tests. */
export function makeRouter(log: EventLog, hooks: { slow: SlowHooks } = { slow: slowHooks() }) {
  const d = initDuplex.create();
  return d.router({
    echo: d.procedure.input(z.string()).query(({ input }) => input),
    slow: d.procedure.query(({ signal }) => {
      hooks.slow.started.resolve(signal);
      return hooks.slow.finish.promise;
    }),
    feed: d.procedure.subscription(({ signal, lastEventId }) => log.since(lastEventId, signal)),
  });
}
export type FaultRouter = ReturnType<typeof makeRouter>;

export { seeded } from '@duplex/test-utils';

/** The system clock, recording every delay it is asked for. */
export function recordingClock(): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => systemClock.now(),
    setTimeout: (callback, ms) => {
      delays.push(ms);
      return systemClock.setTimeout(callback, ms);
    },
    clearTimeout: (handle) => systemClock.clearTimeout(handle),
  };
}

/** Collects a subscription's events and resolves once `count` have arrived. */
export function collector(count: number) {
  const ids: string[] = [];
  const values: number[] = [];
  const reached = deferred();
  return {
    ids,
    values,
    reached: reached.promise,
    onData: (value: number, meta: { id: string | undefined }) => {
      values.push(value);
      ids.push(meta.id ?? '?');
      if (values.length === count) reached.resolve();
    },
  };
}

/** `[0, 1, …, n-1]`. */
export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * `vi.waitFor` with a generous bound, for eventual state that depends on reconnects over real
 * sockets (a loaded CI machine can take seconds); it returns as soon as the assertion passes.
 */
export function eventually<TResult>(assertion: () => TResult): Promise<TResult> {
  return vi.waitFor(assertion, { timeout: 15_000, interval: 10 });
}
