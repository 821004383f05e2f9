import { describe, expect, it, vi } from 'vitest';
import { trailingSchedule } from './trailing-schedule.js';

/** Runs `depth` chained microtasks from inside a microtask, scheduling `flush` first; resolves with the order of events. */
function cascade(schedule: (flush: () => void) => void, depth: number): Promise<string[]> {
  const log: string[] = [];
  return new Promise((resolve) => {
    void Promise.resolve().then(() => {
      schedule(() => {
        log.push('flush');
        resolve(log);
      });
      let chain = Promise.resolve();
      for (let i = 0; i < depth; i++) chain = chain.then(() => void log.push(`m${i}`));
    });
  });
}

describe('trailingSchedule (the Bun and Deno adapters’ outgoing batch)', () => {
  it('on a runtime with a trailing process.nextTick (Node, Deno), flushes after the whole microtask cascade', async () => {
    expect(await cascade(trailingSchedule(), 5)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'flush']);
  });

  it('on Bun, whose nextTick runs before queued microtasks, flushes on setImmediate, after the cascade', async () => {
    const setImmediate = vi.fn((callback: () => void) => globalThis.setImmediate(callback));
    const schedule = trailingSchedule({ Bun: {}, process: { nextTick: () => expect.unreachable('nextTick on Bun') }, setImmediate });
    expect(await cascade(schedule, 5)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'flush']);
    expect(setImmediate).toHaveBeenCalledTimes(1);
  });

  it('without either, falls back to a microtask', () => {
    expect(trailingSchedule({})).toBe(queueMicrotask);
  });
});
