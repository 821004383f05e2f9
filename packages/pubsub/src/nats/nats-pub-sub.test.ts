import { findNats, skipUnless } from '@duplex/test-utils';
import { customAlphabet } from 'nanoid';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, expectResumeOnAnotherInstance, pubSubContract, take, type ContractEvents } from '../../test/contract.js';
import { createNatsPubSub } from './nats-pub-sub.js';

const nats = await findNats();
const servers = nats.url;
const id = customAlphabet('abcdefghijklmnopqrstuvwxyz0123456789', 10)();
const prefix = `duplextest${id}`;
const stream = `DUPLEX_TEST_${id}`;

/** Subscriptions the client holds on the server (the client's own count; NATS monitoring is off). */
function clientSubscriptions(nc: NatsConnection): number {
  return (nc as unknown as { protocol: { subscriptions: { size(): number } } }).protocol.subscriptions.size();
}

describe('nats adapter', skipUnless(nats.missing), () => {
  let nc: NatsConnection;
  beforeAll(async () => {
    nc = await connect({ servers });
  });
  afterAll(async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream).catch(() => false);
    await nc.drain();
  });

  /** Server-side consumers on the test stream (0 once every topic's last subscriber left). */
  async function consumers(): Promise<number> {
    const jsm = await nc.jetstreamManager();
    return (await jsm.streams.info(stream)).state.consumer_count;
  }

  pubSubContract('nats jetstream', async () => {
    const pubsub = createNatsPubSub<ContractEvents>({ servers, prefix, stream });
    // A topic with live subscribers holds one ordered consumer on the server (client inboxes: see the cycles test).
    return { pubsub, durable: true, subscriptionCount: consumers };
  });

  pubSubContract('nats core', async () => {
    const own = await connect({ servers });
    const baseline = clientSubscriptions(own);
    const pubsub = createNatsPubSub<ContractEvents>({ connection: own, prefix: `${prefix}core`, mode: 'core' });
    const close = pubsub.close;
    return {
      pubsub: {
        ...pubsub,
        close: async () => {
          await close();
          await own.drain();
        },
      },
      durable: false,
      subscriptionCount: async () => clientSubscriptions(own) - baseline,
    };
  });

  it('jetstream: N subscribe/abort cycles leave no consumer and no client subscription behind', async () => {
    const own = await connect({ servers });
    const pubsub = createNatsPubSub<ContractEvents>({ connection: own, prefix, stream });
    await pubsub.publish('warmup', event(0));
    const baseline = clientSubscriptions(own);
    for (let cycle = 0; cycle < 5; cycle++) {
      const controller = new AbortController();
      const subs = ['a', 'b', 'c'].map((topic) => pubsub.subscribe(`${topic}-${id}`, { signal: controller.signal }));
      await Promise.all(subs.map((sub) => sub.ready));
      expect(await consumers()).toBe(3);
      controller.abort();
    }
    expect(pubsub.subscriberCount()).toBe(0);
    await expect.poll(consumers).toBe(0);
    await expect.poll(() => clientSubscriptions(own)).toBe(baseline);
    await pubsub.close();
    await own.drain();
  });

  it('jetstream: live subscribers of one topic share one server consumer per process', async () => {
    const pubsub = createNatsPubSub<ContractEvents>({ servers, prefix, stream });
    const topic = `shared-${id}`;
    const controller = new AbortController();
    const subs = Array.from({ length: 10 }, () => pubsub.subscribe(topic, { signal: controller.signal }));
    await Promise.all(subs.map((sub) => sub.ready));
    expect(await consumers()).toBe(1);
    const got = Promise.all(subs.map((sub) => take(sub, 2)));
    await pubsub.publish(topic, event(1));
    await pubsub.publish(topic, event(2));
    for (const events of await got) expect(events.map((e) => e.data.n)).toEqual([1, 2]);
    controller.abort();
    await expect.poll(consumers).toBe(0);
    await pubsub.close();
  });

  it('jetstream: a resume replays a long backlog in order while live events keep coming, without duplicates', async () => {
    const pubsub = createNatsPubSub<ContractEvents>({ servers, prefix, stream, maxBuffered: 100 });
    const topic = `backlog-${id}`;
    const first = await pubsub.publish(topic, event(0));
    await Promise.all(Array.from({ length: 399 }, (_, index) => pubsub.publish(topic, event(index + 1))));
    const sub = pubsub.subscribe(topic, { signal: new AbortController().signal, lastEventId: first });
    // 399 events after `first` to replay, plus 50 published live while the replay runs.
    const all = take(sub, 449);
    await sub.ready;
    for (let n = 400; n < 450; n++) await pubsub.publish(topic, event(n));
    const events = await all;
    const got = events.map((e) => e.data.n);
    expect(new Set(got).size).toBe(449);
    expect(got.every((n) => n >= 1)).toBe(true);
    const seqs = events.map((e) => Number(e.id));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(got.slice(399)).toEqual(Array.from({ length: 50 }, (_, index) => 400 + index));
    await expect.poll(consumers).toBe(0);
    await pubsub.close();
  });

  it('jetstream: a resume from the latest event has nothing to replay and goes live', async () => {
    const pubsub = createNatsPubSub<ContractEvents>({ servers, prefix, stream });
    const topic = `latest-${id}`;
    const last = await pubsub.publish(topic, event(1));
    const sub = pubsub.subscribe(topic, { signal: new AbortController().signal, lastEventId: last });
    await sub.ready;
    const got = take(sub, 1);
    await pubsub.publish(topic, event(2));
    expect((await got).map((e) => e.data.n)).toEqual([2]);
    await pubsub.close();
  });

  it('jetstream: another instance resumes from lastEventId with no loss', async () => {
    const a = createNatsPubSub<ContractEvents>({ servers, prefix, stream });
    const b = createNatsPubSub<ContractEvents>({ servers, prefix, stream });
    await expectResumeOnAnotherInstance(a, b, `room-${id}`);
    await Promise.all([a.close(), b.close()]);
  });

  it('jetstream: a sequence that belongs to another topic is a CONFLICT, not a replay', async () => {
    const pubsub = createNatsPubSub<ContractEvents>({ servers, prefix, stream });
    const other = await pubsub.publish(`x-${id}`, event(1));
    await expect(take(pubsub.subscribe(`y-${id}`, { signal: new AbortController().signal, lastEventId: other }), 1)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await pubsub.close();
  });

  it('core: a closed connection ends subscriptions with SERVICE_UNAVAILABLE instead of crashing', async () => {
    const own = await connect({ servers });
    const pubsub = createNatsPubSub<ContractEvents>({ connection: own, prefix: `${prefix}core`, mode: 'core' });
    const sub = pubsub.subscribe('t', { signal: new AbortController().signal });
    await sub.ready;
    const failed = expect(take(sub, 1)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await own.close();
    await failed;
    await pubsub.close();
  });

  it('core: resume policy "live" accepts the gap explicitly', async () => {
    const pubsub = createNatsPubSub<ContractEvents>({ servers, prefix: `${prefix}core`, mode: 'core', resume: 'live' });
    const sub = pubsub.subscribe('t', { signal: new AbortController().signal, lastEventId: 'x' });
    await sub.ready;
    const got = take(sub, 1);
    await pubsub.publish('t', event(4));
    expect((await got).map((e) => e.data.n)).toEqual([4]);
    await pubsub.close();
  });
});

describe('nats adapter without a reachable server', () => {
  it.each(['jetstream', 'core'] as const)('%s: publish and subscribe fail with SERVICE_UNAVAILABLE, no crash', async (mode) => {
    const errors: Error[] = [];
    const pubsub = createNatsPubSub<ContractEvents>({ servers: 'nats://127.0.0.1:1', mode, onError: (error) => errors.push(error) });
    await expect(pubsub.publish('t', event(1))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    const sub = pubsub.subscribe('t', { signal: new AbortController().signal });
    await expect(take(sub, 1)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(errors.length).toBeGreaterThan(0);
    expect(pubsub.subscriberCount()).toBe(0);
    await pubsub.close();
  });
});
