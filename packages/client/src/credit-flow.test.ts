import { describe, expect, it } from 'vitest';
import { CreditFlow } from './credit-flow.js';

describe('CreditFlow', () => {
  it('grants the whole window at start and returns credits half a window at a time', () => {
    const sent: number[] = [];
    const flow = new CreditFlow(8, true);
    expect(flow.start((n) => sent.push(n))).toBe(8);
    for (let i = 0; i < 8; i++) flow.received();
    flow.consume();
    flow.consume();
    flow.consume();
    expect(sent).toEqual([]);
    flow.consume();
    expect(sent).toEqual([4]);
    for (let i = 0; i < 4; i++) flow.consume();
    expect(sent).toEqual([4, 4]);
  });

  it('a resubscribe grants the window minus what still waits in the buffer', () => {
    const sent: number[] = [];
    const flow = new CreditFlow(10, true);
    flow.start((n) => sent.push(n));
    for (let i = 0; i < 7; i++) flow.received();
    flow.consume();
    flow.consume();
    // Link lost: 5 events wait unread, 2 consumed credits were never returned (they die with the link).
    expect(flow.start((n) => sent.push(n))).toBe(5);
    for (let i = 0; i < 5; i++) flow.consume();
    expect(sent).toEqual([5]);
  });

  it('a window of 1 returns each credit at once', () => {
    const sent: number[] = [];
    const flow = new CreditFlow(1, false);
    expect(flow.start((n) => sent.push(n))).toBe(1);
    flow.received();
    flow.consume();
    flow.received();
    flow.consume();
    expect(sent).toEqual([1, 1]);
  });
});
