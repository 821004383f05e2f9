import { describe, expect, it } from 'vitest';
import { BATCH_BUDGET_MS, BatchTimer } from './batch-timer.js';
import { Outbox } from './outbox.js';

/** An outbox attached to a recorder of frames, on a fake high-resolution clock. */
function recordedOutbox() {
  let time = 1_000;
  const frames: string[] = [];
  const outbox = new Outbox((items) => items, () => time);
  outbox.attach((frame) => frames.push(frame as string));
  /** The numbers in each frame sent so far. */
  const sent = () => frames.map((frame) => [JSON.parse(frame) as number | number[]].flat());
  return { outbox, sent, advance: (ms: number) => (time += ms) };
}

/** Resolves after the outbox's microtask flush has run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('BatchTimer', () => {
  it('expires only a non-empty batch older than the budget', () => {
    let time = 0;
    const timer = new BatchTimer(() => time);
    timer.begin();
    time += BATCH_BUDGET_MS;
    expect(timer.expired(1)).toBe(false);
    time += 0.001;
    expect(timer.expired(1)).toBe(true);
    expect(timer.expired(0)).toBe(false);
  });
});

describe('Outbox batches', () => {
  it('sends what one tick writes in one frame while it is cheap to produce', async () => {
    const { outbox, sent, advance } = recordedOutbox();
    for (let i = 1; i <= 64; i++) {
      outbox.push(String(i));
      advance(BATCH_BUDGET_MS / 100);
    }
    expect(sent()).toEqual([]);
    await nextTurn();
    expect(sent()).toEqual([Array.from({ length: 64 }, (_, i) => i + 1)]);
  });

  it('lets a batch go once it has gathered for longer than the budget, so the server can start on it', async () => {
    const { outbox, sent, advance } = recordedOutbox();
    // Each message takes a little over a third of the budget to produce: the fourth finds its batch expired.
    for (let i = 1; i <= 7; i++) {
      outbox.push(String(i));
      advance(BATCH_BUDGET_MS / 3 + 0.001);
    }
    // Two batches left during the tick, before any microtask ran; the rest leaves at its end.
    expect(sent()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await nextTurn();
    expect(sent()).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });
});
