import { isTracked } from '@duplex/core';
import { describe, expect, it } from 'vitest';
import { event, pubSubContract, take, type ContractEvents } from '../../test/contract.js';
import { createMemoryPubSub } from './memory-pub-sub.js';

pubSubContract('memory', async () => {
  const pubsub = createMemoryPubSub<ContractEvents>();
  return { pubsub, durable: true, subscriptionCount: async (topic) => pubsub.subscriberCount(topic) };
});

describe('createMemoryPubSub', () => {
  it('ends a resume with CONFLICT once the id fell out of the bounded replay log', async () => {
    const pubsub = createMemoryPubSub<ContractEvents>({ replay: 2 });
    const first = await pubsub.publish('room', event(1));
    const second = await pubsub.publish('room', event(2));
    await pubsub.publish('room', event(3));
    const signal = new AbortController().signal;
    await expect(take(pubsub.subscribe('room', { signal, lastEventId: first }), 1)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await take(pubsub.subscribe('room', { signal, lastEventId: second }), 1)).map((e) => e.data.n)).toEqual([3]);
    expect(pubsub.subscriberCount()).toBe(0);
  });

  it('forgets the least recently published idle topics past maxTopics, never one with subscribers', async () => {
    const pubsub = createMemoryPubSub<ContractEvents>({ maxTopics: 2 });
    const signal = new AbortController().signal;
    const live = pubsub.subscribe('live', { signal });
    const liveEvent = take(live, 1);
    const a = await pubsub.publish('a', event(1));
    const b = await pubsub.publish('b', event(2));
    expect(pubsub.topicCount()).toBe(2);
    await pubsub.publish('live', event(3));
    expect((await liveEvent).map((e) => e.data.n)).toEqual([3]);
    expect(pubsub.topicCount()).toBe(2);
    // 'a' was the least recently published idle topic: gone, so resuming from its id conflicts.
    await expect(take(pubsub.subscribe('a', { signal, lastEventId: a }), 1)).rejects.toMatchObject({ code: 'CONFLICT' });
    const c = pubsub.subscribe('b', { signal, lastEventId: b });
    const fromB = take(c, 1);
    await pubsub.publish('b', event(4));
    expect((await fromB).map((e) => e.data.n)).toEqual([4]);
    for (let n = 0; n < 100; n++) await pubsub.publish(`t${n}`, event(n));
    expect(pubsub.topicCount()).toBe(2);
    expect(pubsub.subscriberCount()).toBe(0);
  });

  it('replays then continues live, in order, through yield* subscribeTracked', async () => {
    const pubsub = createMemoryPubSub<ContractEvents>();
    const controller = new AbortController();
    const first = await pubsub.publish('room', event(1));
    await pubsub.publish('room', event(2));
    async function* handler() {
      yield* pubsub.subscribeTracked('room', { signal: controller.signal, lastEventId: first });
    }
    const stream = handler();
    const a = await stream.next();
    const pendingLive = stream.next();
    await pubsub.publish('room', event(3));
    const b = await pendingLive;
    expect(isTracked(a.value)).toBe(true);
    expect([a.value?.data.n, b.value?.data.n]).toEqual([2, 3]);
    controller.abort();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(pubsub.subscriberCount()).toBe(0);
  });

  it('close() ends live subscriptions and refuses new publishes', async () => {
    const pubsub = createMemoryPubSub<ContractEvents>();
    const sub = pubsub.subscribe('room', { signal: new AbortController().signal });
    const pending = sub[Symbol.asyncIterator]().next();
    await pubsub.close();
    expect(await pending).toEqual({ value: undefined, done: true });
    await expect(pubsub.publish('room', event(1))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(pubsub.subscriberCount()).toBe(0);
  });

  it('decodes once per event for all local subscribers, never sharing the publisher’s object', async () => {
    const pubsub = createMemoryPubSub<ContractEvents>();
    const signal = new AbortController().signal;
    const a = pubsub.subscribe('room', { signal });
    const b = pubsub.subscribe('room', { signal });
    const got = Promise.all([take(a, 1), take(b, 1)]);
    const payload = event(1);
    await pubsub.publish('room', payload);
    payload.n = 99;
    const [[ea], [eb]] = await got;
    expect(ea?.data).toBe(eb?.data);
    expect(ea?.data.n).toBe(1);
  });
});
