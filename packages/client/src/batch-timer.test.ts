import { PROTOCOL_VERSION, superjsonCodec, systemClock } from '@duplex/core';
import { describe, expect, it } from 'vitest';
import { BATCH_BUDGET_MS, BatchTimer } from './batch-timer.js';
import { ClientPeer } from './client-peer.js';

/** A peer attached to a recorder of frames, on a fake high-resolution clock. */
function recordedPeer() {
  let time = 1_000;
  const frames: string[] = [];
  const peer = new ClientPeer({ codec: superjsonCodec, clock: systemClock, now: () => time });
  const calls: Promise<unknown>[] = [];
  peer.attach((frame) => frames.push(frame as string), { t: 'hello', v: PROTOCOL_VERSION, codec: 'superjson' });
  /** Ids of the calls in each frame sent so far (the hello leaves first, alone). */
  const callIds = () => frames.slice(1).map((frame) => [JSON.parse(frame)].flat().map((message: { id: number }) => message.id));
  /** Ends the peer: every call (never answered here) fails with CANCELLED and none is left. */
  async function close() {
    peer.close();
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status === 'rejected' && (s.reason as { code?: string }).code)).toEqual(calls.map(() => 'CANCELLED'));
    expect(peer.stats).toEqual({ calls: 0, subscriptions: 0 });
  }
  return { peer, calls, callIds, close, advance: (ms: number) => (time += ms) };
}

/** Resolves after the peer's microtask flush has run. */
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

describe('ClientPeer outgoing batches', () => {
  it('sends the calls of one tick in one frame while they are cheap', async () => {
    const { peer, calls, callIds, close, advance } = recordedPeer();
    await nextTurn(); // the hello
    for (let i = 0; i < 64; i++) {
      calls.push(peer.call('query', 'echo', { i }));
      advance(BATCH_BUDGET_MS / 100);
    }
    await nextTurn();
    expect(callIds()).toEqual([Array.from({ length: 64 }, (_, i) => i + 1)]);
    await close();
  });

  it('lets a batch go once it has gathered for longer than the budget, so the server can start on it', async () => {
    const { peer, calls, callIds, close, advance } = recordedPeer();
    await nextTurn();
    // Each call takes a little over a third of the budget to encode: the fourth finds its batch expired.
    for (let i = 0; i < 7; i++) {
      calls.push(peer.call('mutation', 'echoRich', { i }));
      advance(BATCH_BUDGET_MS / 3 + 0.001);
    }
    // Two batches left during the tick, before any microtask ran; the rest leaves at its end.
    expect(callIds()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await nextTurn();
    expect(callIds()).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    await close();
  });
});
