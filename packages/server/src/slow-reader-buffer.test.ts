import { describe, expect, it } from 'vitest';
import { applySlowReaderPolicy, type SlowReaderBuffer } from './slow-reader-buffer.js';

/** A source that yields `values`, then ends (or throws `error`), counting pulls. */
function source(values: number[], error?: Error) {
  const state = { pulls: 0, returned: false };
  const iterator = (async function* () {
    try {
      for (const value of values) {
        state.pulls++;
        yield value;
      }
      if (error) throw error;
    } finally {
      state.returned = true;
    }
  })();
  return { iterator, state };
}

/** Waits until the buffer has pulled `expected` events from its source, and one turn more. */
async function drained(pulls: () => number, expected: number): Promise<void> {
  while (pulls() < expected) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

describe('SlowReaderBuffer', () => {
  it("'latest' keeps only the newest event for a reader that was away, then ends", async () => {
    const { iterator, state } = source([1, 2, 3, 4, 5]);
    const buffer = applySlowReaderPolicy(iterator, { slowReader: 'latest' }) as SlowReaderBuffer;
    await drained(() => state.pulls, 5);
    expect(await buffer.next()).toEqual({ done: false, value: 5 });
    expect(await buffer.next()).toEqual({ done: true, value: undefined });
    expect(buffer.dropped).toBe(4);
  });

  it("'dropOldest' keeps the newest maxBuffered events, in order, then the source's error", async () => {
    const boom = new Error('boom');
    const { iterator, state } = source([1, 2, 3, 4, 5, 6], boom);
    const buffer = applySlowReaderPolicy(iterator, { slowReader: 'dropOldest', maxBuffered: 3 }) as SlowReaderBuffer;
    await drained(() => state.pulls, 6);
    const got = [(await buffer.next()).value, (await buffer.next()).value, (await buffer.next()).value];
    expect(got).toEqual([4, 5, 6]);
    await expect(buffer.next()).rejects.toBe(boom);
  });

  it('hands an event straight to a waiting reader', async () => {
    const { iterator } = source([7]);
    const buffer = applySlowReaderPolicy(iterator, { slowReader: 'latest' });
    expect(await buffer.next()).toEqual({ done: false, value: 7 });
  });

  it("return() stops pulling and runs the source's finally", async () => {
    let finallyRan = false;
    const gen = (async function* () {
      let i = 0;
      try {
        for (;;) yield i++;
      } finally {
        finallyRan = true;
      }
    })();
    const buffer = applySlowReaderPolicy(gen, { slowReader: 'dropOldest' });
    await new Promise((resolve) => setImmediate(resolve));
    await buffer.return?.();
    expect(finallyRan).toBe(true);
  });

  it("'block' (the default) is the source itself", () => {
    const { iterator } = source([]);
    expect(applySlowReaderPolicy(iterator, undefined)).toBe(iterator);
    expect(applySlowReaderPolicy(iterator, { slowReader: 'block' })).toBe(iterator);
  });
});
