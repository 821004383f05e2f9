import type { Tracked } from '@duplex/core';
import { describe, expectTypeOf, it } from 'vitest';
import { createMemoryPubSub } from './memory/index.js';
import { createNatsPubSub, type NatsPubSub } from './nats/index.js';
import { createRedisPubSub, type RedisPubSub } from './redis/index.js';
import type { PubSubEvent } from './types.js';

interface Post {
  text: string;
  at: Date;
}
type Events = { [room: `room:${string}`]: Post; ticks: number };
const pubsub = createMemoryPubSub<Events>();
const signal = new AbortController().signal;

describe('PubSub types', () => {
  it('types payloads by topic, template-literal topics included', () => {
    expectTypeOf(pubsub.publish('room:1', { text: 'hi', at: new Date() })).toEqualTypeOf<Promise<string>>();
    expectTypeOf(pubsub.publish('ticks', 1)).toEqualTypeOf<Promise<string>>();
    // @ts-expect-error wrong payload for the topic
    void pubsub.publish('ticks', 'one');
    // @ts-expect-error unknown topic
    void pubsub.publish('lobby', 1);
  });

  it('yields typed events and tracked values', () => {
    expectTypeOf(pubsub.subscribe('room:a', { signal })).toMatchTypeOf<AsyncIterable<PubSubEvent<Post>>>();
    expectTypeOf(pubsub.subscribeTracked('ticks', { signal, lastEventId: undefined })).toEqualTypeOf<
      AsyncGenerator<Tracked<number>, void, undefined>
    >();
  });
});

describe('adapter factories', () => {
  it('return the same typed PubSub, with their diagnostics', () => {
    expectTypeOf(createRedisPubSub<Events>).returns.toEqualTypeOf<RedisPubSub<Events>>();
    expectTypeOf(createNatsPubSub<Events>).returns.toEqualTypeOf<NatsPubSub<Events>>();
    expectTypeOf<RedisPubSub<Events>['publish']>().toEqualTypeOf<typeof pubsub.publish>();
    expectTypeOf<NatsPubSub<Events>['subscribeTracked']>().toEqualTypeOf<typeof pubsub.subscribeTracked>();
    // @ts-expect-error modes are a closed set
    createRedisPubSub<Events>({ mode: 'cluster' });
  });
});
