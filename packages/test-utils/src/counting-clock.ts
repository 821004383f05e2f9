import { type Clock, systemClock } from '@duplex/core';

/** A real clock that counts live timers, to assert nothing is left behind after a test. */
export interface CountingClock extends Clock {
  /** Timers set and neither fired nor cleared. */
  readonly pending: number;
}

/** Wraps the system clock and counts its live timers. */
export function createCountingClock(): CountingClock {
  const live = new Set<unknown>();
  return {
    now: () => systemClock.now(),
    setTimeout(callback, ms) {
      const token = {};
      const handle = systemClock.setTimeout(() => {
        live.delete(token);
        callback();
      }, ms);
      live.add(token);
      const entry = { token, handle };
      return entry;
    },
    clearTimeout(entry) {
      const { token, handle } = entry as { token: object; handle: unknown };
      live.delete(token);
      systemClock.clearTimeout(handle);
    },
    get pending() {
      return live.size;
    },
  };
}
