import { DuplexError, isTracked, type Tracked } from '@duplex/core';
import { nanoid } from 'nanoid';
import { afterAll, describe, expect, it } from 'vitest';
import { type PubSub, type PubSubEvent, trackedEvents } from '../src/index.js';

/** Payload used by the contract: a Date and a Map must survive the backend. */
export interface ContractEvent {
  n: number;
  at: Date;
  tags: Map<string, number>;
}

export type ContractEvents = Record<string, ContractEvent>;

/** What each adapter's test provides to the shared contract. */
export interface ContractTarget {
  pubsub: PubSub<ContractEvents>;
  /** Backend subscriptions (or blocking readers) held for `topic` right now. */
  subscriptionCount(topic: string): Promise<number>;
  /** True when `lastEventId` resumes without loss (streams, JetStream, memory replay). */
  durable: boolean;
}

export function event(n: number): ContractEvent {
  return { n, at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)), tags: new Map([['n', n]]) };
}

/** Pulls exactly `count` events, then returns (releasing the subscription). */
export async function take<TData>(iterable: AsyncIterable<PubSubEvent<TData>>, count: number): Promise<PubSubEvent<TData>[]> {
  const out: PubSubEvent<TData>[] = [];
  if (count === 0) return out;
  for await (const item of iterable) {
    out.push(item);
    if (out.length === count) break;
  }
  return out;
}

/**
 * Two instances on one durable backend (streams, JetStream): a subscriber on `a` reads two events
 * published by `b` and leaves; three more arrive (one on another topic between them), and a new
 * subscription on `b` from the last id seen resumes with exactly those, in order.
 */
export async function expectResumeOnAnotherInstance(a: PubSub<ContractEvents>, b: PubSub<ContractEvents>, topic: string): Promise<void> {
  const controller = new AbortController();
  const first = a.subscribe(topic, { signal: controller.signal });
  await first.ready;
  const got = take(first, 2);
  await b.publish(topic, event(1));
  await b.publish(topic, event(2));
  const seen = await got;
  controller.abort();
  // While "a" is gone, more events arrive; a new subscription on "b" resumes after the last seen id.
  await a.publish(topic, event(3));
  await a.publish(`${topic}-other`, event(99));
  await a.publish(topic, event(4));
  const rest = take(b.subscribe(topic, { signal: new AbortController().signal, lastEventId: seen[1]?.id }), 3);
  await a.publish(topic, event(5));
  expect((await rest).map((e) => e.data.n)).toEqual([3, 4, 5]);
}

/** The behaviour every adapter must have, run against a fresh target per suite. */
export function pubSubContract(name: string, create: () => Promise<ContractTarget>, cleanup: () => Promise<void> = async () => {}) {
  describe(`${name} contract`, () => {
    const targets: ContractTarget[] = [];
    const open = async () => {
      const target = await create();
      targets.push(target);
      return target;
    };
    const topic = () => `t-${nanoid(8)}`;
    afterAll(async () => {
      for (const target of targets) await target.pubsub.close();
      await cleanup();
    });

    it('delivers events in order with Date and Map intact', async () => {
      const { pubsub } = await open();
      const name = topic();
      const controller = new AbortController();
      const sub = pubsub.subscribe(name, { signal: controller.signal });
      await sub.ready;
      const received = take(sub, 3);
      const ids = [await pubsub.publish(name, event(1)), await pubsub.publish(name, event(2)), await pubsub.publish(name, event(3))];
      const events = await received;
      expect(events.map((e) => e.id)).toEqual(ids);
      expect(events.map((e) => e.data.n)).toEqual([1, 2, 3]);
      expect(events[0]?.data.at).toBeInstanceOf(Date);
      expect(events[0]?.data.at.toISOString()).toBe('2026-01-01T00:00:01.000Z');
      expect(events[2]?.data.tags).toEqual(new Map([['n', 3]]));
      controller.abort();
    });

    it('fans out to every subscriber and not to other topics', async () => {
      const { pubsub } = await open();
      const [name, other] = [topic(), topic()];
      const signal = new AbortController().signal;
      const a = pubsub.subscribe(name, { signal });
      const b = pubsub.subscribe(name, { signal });
      const c = pubsub.subscribe(other, { signal });
      await Promise.all([a.ready, b.ready, c.ready]);
      const got = Promise.all([take(a, 2), take(b, 2), take(c, 1)]);
      await pubsub.publish(name, event(1));
      await pubsub.publish(other, event(9));
      await pubsub.publish(name, event(2));
      const [ea, eb, ec] = await got;
      expect(ea.map((e) => e.data.n)).toEqual([1, 2]);
      expect(eb.map((e) => e.data.n)).toEqual([1, 2]);
      expect(ec.map((e) => e.data.n)).toEqual([9]);
    });

    it('releases the backend subscription on abort while no event ever arrives', async () => {
      const target = await open();
      const name = topic();
      for (let cycle = 0; cycle < 5; cycle++) {
        const controller = new AbortController();
        const sub = target.pubsub.subscribe(name, { signal: controller.signal });
        await sub.ready;
        expect(await target.subscriptionCount(name)).toBe(1);
        const pending = sub[Symbol.asyncIterator]().next();
        controller.abort();
        expect(await pending).toEqual({ value: undefined, done: true });
      }
      await expect.poll(() => target.subscriptionCount(name)).toBe(0);
    });

    it('releases the backend subscription when the consumer breaks out', async () => {
      const target = await open();
      const name = topic();
      const sub = target.pubsub.subscribe(name, { signal: new AbortController().signal });
      await sub.ready;
      const got = take(sub, 1);
      await target.pubsub.publish(name, event(1));
      expect((await got).map((e) => e.data.n)).toEqual([1]);
      await expect.poll(() => target.subscriptionCount(name)).toBe(0);
    });

    it('subscribeTracked yields tracked(id, data) for yield* in a duplex handler', async () => {
      const { pubsub, durable } = await open();
      const name = topic();
      const controller = new AbortController();
      const options = { signal: controller.signal };
      let stream: AsyncGenerator<Tracked<ContractEvent>, void, undefined>;
      if (durable) {
        // Resume from a seed event: no readiness race, the next event is replayed or live.
        const seed = await pubsub.publish(name, event(0));
        stream = pubsub.subscribeTracked(name, { ...options, lastEventId: seed });
      } else {
        const sub = pubsub.subscribe(name, options);
        await sub.ready;
        stream = trackedEvents(sub);
      }
      const first = stream.next();
      const id = await pubsub.publish(name, event(1));
      const { value } = await first;
      expect(isTracked(value)).toBe(true);
      expect(value?.id).toBe(id);
      expect(value?.data.at).toBeInstanceOf(Date);
      controller.abort();
      expect(await stream.next()).toEqual({ value: undefined, done: true });
    });

    it('resumes after lastEventId with exactly the missed events, or ends with CONFLICT', async () => {
      const { pubsub, durable } = await open();
      const name = topic();
      const first = await pubsub.publish(name, event(1));
      await pubsub.publish(name, event(2));
      await pubsub.publish(name, event(3));
      const controller = new AbortController();
      const resumed = pubsub.subscribe(name, { signal: controller.signal, lastEventId: first });
      if (durable) {
        const got = await take(resumed, 2);
        expect(got.map((e) => e.data.n)).toEqual([2, 3]);
      } else {
        await expect(take(resumed, 1)).rejects.toMatchObject({ code: 'CONFLICT' });
      }
      controller.abort();
    });

    it('ends with CONFLICT for an unknown lastEventId, never skipping silently', async () => {
      const { pubsub } = await open();
      const name = topic();
      await pubsub.publish(name, event(1));
      const sub = pubsub.subscribe(name, { signal: new AbortController().signal, lastEventId: '999999999999-0' });
      const error = await take(sub, 1).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DuplexError);
      expect((error as DuplexError).code).toBe('CONFLICT');
    });
  });
}

