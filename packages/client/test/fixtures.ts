import { vi } from 'vitest';
import { type Clock, systemClock } from '@duplex/core';
import { initDuplex } from '@duplex/server';
import { deferred, type Deferred } from '@duplex/test-utils';
import { EventLog } from '@duplex/test-utils/event-log';
import { z } from 'zod';

export { EventLog };

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
