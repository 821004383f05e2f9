import type { Clock, TimerHandle } from '@duplex/core';

interface FakeTimer {
  id: number;
  at: number;
  callback: () => void;
}

/** A hand-driven {@link Clock}: time moves only when a test calls {@link FakeClock.advance}. */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void;
  /** Fires the next due timer (jumping time to it); false when no timer is set. */
  next(): boolean;
  /** Timers set and not yet fired or cleared. */
  readonly pending: number;
  /** Delays passed to `setTimeout`, in call order (for asserting backoff spread). */
  readonly delays: readonly number[];
}

/** Creates a {@link FakeClock} starting at `start` ms. */
export function createFakeClock(start = 0): FakeClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, FakeTimer>();
  const delays: number[] = [];
  const due = (limit: number): FakeTimer | undefined => {
    let first: FakeTimer | undefined;
    for (const timer of timers.values()) {
      if (timer.at <= limit && (!first || timer.at < first.at || (timer.at === first.at && timer.id < first.id))) first = timer;
    }
    return first;
  };
  const fire = (timer: FakeTimer) => {
    timers.delete(timer.id);
    now = Math.max(now, timer.at);
    timer.callback();
  };
  return {
    now: () => now,
    setTimeout(callback, ms): TimerHandle {
      const id = nextId++;
      delays.push(ms);
      timers.set(id, { id, at: now + Math.max(0, ms), callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const target = now + ms;
      // Bounded: a timer that re-arms itself at 0 ms would otherwise spin forever.
      for (let fired = 0; fired < 100_000; fired++) {
        const timer = due(target);
        if (!timer) break;
        fire(timer);
      }
      now = target;
    },
    next() {
      const timer = due(Number.POSITIVE_INFINITY);
      if (!timer) return false;
      fire(timer);
      return true;
    },
    get pending() {
      return timers.size;
    },
    delays,
  };
}
