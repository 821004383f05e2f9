import { describe, expect, it } from 'vitest';
import {
  advertisedLimits,
  DEFAULT_MAX_CALLS_IN_FLIGHT,
  DEFAULT_MAX_PROTOCOL_ERRORS,
  DEFAULT_MAX_SUBSCRIPTIONS,
  RequestBudget,
  resolvePeerLimits,
} from './limits.js';

describe('resolvePeerLimits', () => {
  it('fills in the documented defaults and keeps what is given', () => {
    expect(resolvePeerLimits()).toEqual({
      maxMessageBytes: 1_048_576,
      maxJsonDepth: 64,
      maxCallsInFlight: DEFAULT_MAX_CALLS_IN_FLIGHT,
      maxSubscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
      maxClientStreams: 8,
      maxProtocolErrors: DEFAULT_MAX_PROTOCOL_ERRORS,
      maxRequestsPerSecond: undefined,
    });
    expect([DEFAULT_MAX_CALLS_IN_FLIGHT, DEFAULT_MAX_SUBSCRIPTIONS, DEFAULT_MAX_PROTOCOL_ERRORS]).toEqual([1024, 1024, 100]);
    expect(resolvePeerLimits({ maxCallsInFlight: 3, maxRequestsPerSecond: 10 })).toMatchObject({ maxCallsInFlight: 3, maxSubscriptions: 1024, maxRequestsPerSecond: 10 });
  });
});

describe('advertisedLimits (ready.limits, protocol.md §5.1)', () => {
  it('states what a client must know, maxClientStreams included, and maxRequestsPerSecond only when set', () => {
    expect(advertisedLimits(resolvePeerLimits({ maxClientStreams: 3 }))).toEqual({
      maxMessageBytes: 1_048_576,
      maxCallsInFlight: DEFAULT_MAX_CALLS_IN_FLIGHT,
      maxSubscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
      maxClientStreams: 3,
    });
    expect(advertisedLimits(resolvePeerLimits({ maxRequestsPerSecond: 10 }))).toMatchObject({ maxClientStreams: 8, maxRequestsPerSecond: 10 });
  });
});

describe('RequestBudget', () => {
  it('allows a burst of one second, then refills continuously', () => {
    let now = 0;
    const budget = new RequestBudget(10, () => now);
    const burst = Array.from({ length: 12 }, () => budget.take());
    expect(burst.filter(Boolean)).toHaveLength(10);
    now += 250; // a quarter second: 2.5 tokens
    expect([budget.take(), budget.take(), budget.take()]).toEqual([true, true, false]);
    now += 10_000; // refills to the cap, not beyond
    expect(Array.from({ length: 11 }, () => budget.take()).filter(Boolean)).toHaveLength(10);
  });
});
