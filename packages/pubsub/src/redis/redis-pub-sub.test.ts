import { nanoid } from 'nanoid';
import { findRedis, skipUnless } from '@duplex/test-utils';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, expectResumeOnAnotherInstance, pubSubContract, take, type ContractEvents } from '../../test/contract.js';
import { createRedisPubSub, type RedisPubSub } from './redis-pub-sub.js';

const redis = await findRedis();
const url = redis.url;
const prefix = `duplex-test-${nanoid(8)}:`;

describe('redis adapter', skipUnless(redis.missing), () => {
  const admin = createClient({ url, RESP: 2 });
  admin.on('error', () => {});
  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    // Clean up every stream this run created.
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length > 0) await admin.sendCommand(['DEL', ...keys]);
    admin.destroy();
  });

  /** Connections of one adapter instance currently blocked in a command (XREAD BLOCK). */
  async function blockedReaders(pubsub: RedisPubSub<ContractEvents>): Promise<number> {
    const list = await admin.sendCommand<string>(['CLIENT', 'LIST']);
    return list.split('\n').filter((line) => line.includes(`name=${pubsub.connectionName}-reader`) && /flags=\w*b/.test(line)).length;
  }
  async function connections(pubsub: RedisPubSub<ContractEvents>): Promise<number> {
    const list = await admin.sendCommand<string>(['CLIENT', 'LIST']);
    return list.split('\n').filter((line) => line.includes(`name=${pubsub.connectionName}-`)).length;
  }

  pubSubContract('redis streams', async () => {
    const pubsub = createRedisPubSub<ContractEvents>({ url, keyPrefix: prefix });
    return {
      pubsub,
      durable: true,
      // Local subscribers plus whether the shared reader is still blocked for this process.
      subscriptionCount: async (topic) => pubsub.subscriberCount(topic) + (pubsub.subscriberCount() === 0 ? await blockedReaders(pubsub) : 0),
    };
  });

  pubSubContract('redis pub/sub', async () => {
    const pubsub = createRedisPubSub<ContractEvents>({ url, keyPrefix: prefix, mode: 'pubsub' });
    return {
      pubsub,
      durable: false,
      subscriptionCount: async (topic) => {
        const reply = await admin.sendCommand<[string, number]>(['PUBSUB', 'NUMSUB', `${prefix}${topic}`]);
        return Number(reply[1]);
      },
    };
  });

  it('streams: many subscribe/abort cycles leave no blocked reader and no extra connection', async () => {
    const pubsub = createRedisPubSub<ContractEvents>({ url, keyPrefix: prefix });
    const topics = Array.from({ length: 5 }, () => `t-${nanoid(6)}`);
    for (let cycle = 0; cycle < 4; cycle++) {
      const controller = new AbortController();
      const subs = topics.map((topic) => pubsub.subscribe(topic, { signal: controller.signal }));
      await Promise.all(subs.map((sub) => sub.ready));
      expect(pubsub.subscriberCount()).toBe(5);
      await expect.poll(() => blockedReaders(pubsub)).toBe(1);
      controller.abort();
    }
    expect(pubsub.subscriberCount()).toBe(0);
    await expect.poll(() => blockedReaders(pubsub)).toBe(0);
    expect(await connections(pubsub)).toBe(2);
    await pubsub.close();
    await expect.poll(() => connections(pubsub)).toBe(0);
  });

  it('streams: a subscriber on another instance resumes from lastEventId with no loss', async () => {
    const a = createRedisPubSub<ContractEvents>({ url, keyPrefix: prefix });
    const b = createRedisPubSub<ContractEvents>({ url, keyPrefix: prefix });
    await expectResumeOnAnotherInstance(a, b, `t-${nanoid(6)}`);
    await Promise.all([a.close(), b.close()]);
  });

  it('streams: resumes a backlog longer than one XRANGE page in order, then continues live', async () => {
    const pubsub = createRedisPubSub<ContractEvents>({ url, keyPrefix: prefix, maxBuffered: 100 });
    const topic = `t-${nanoid(6)}`;
    const first = await pubsub.publish(topic, event(0));
    for (let n = 1; n < 600; n++) await pubsub.publish(topic, event(n));
    const sub = pubsub.subscribe(topic, { signal: new AbortController().signal, lastEventId: first });
    const all = take(sub, 600);
    await sub.ready;
    await pubsub.publish(topic, event(600));
    expect((await all).map((e) => e.data.n)).toEqual(Array.from({ length: 600 }, (_, index) => index + 1));
    await pubsub.close();
  });

  it('streams: a resume from a trimmed id ends with CONFLICT', async () => {
    const pubsub = createRedisPubSub<ContractEvents>({ url, keyPrefix: prefix, maxLen: 1 });
    const topic = `t-${nanoid(6)}`;
    const first = await pubsub.publish(topic, event(1));
    // MAXLEN ~ trims whole macro nodes only; trim exactly so the first id is gone.
    await admin.sendCommand(['XTRIM', `${prefix}${topic}`, 'MAXLEN', '0']);
    await pubsub.publish(topic, event(2));
    await expect(take(pubsub.subscribe(topic, { signal: new AbortController().signal, lastEventId: first }), 1)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await pubsub.close();
  });

  it('pubsub: resume policy "live" accepts the gap explicitly', async () => {
    const pubsub = createRedisPubSub<ContractEvents>({ url, keyPrefix: prefix, mode: 'pubsub', resume: 'live' });
    const topic = `t-${nanoid(6)}`;
    const sub = pubsub.subscribe(topic, { signal: new AbortController().signal, lastEventId: 'whatever' });
    await sub.ready;
    const got = take(sub, 1);
    await pubsub.publish(topic, event(7));
    expect((await got).map((e) => e.data.n)).toEqual([7]);
    await pubsub.close();
  });

  it('a lost connection ends subscriptions with SERVICE_UNAVAILABLE instead of crashing, then recovers', async () => {
    const errors: Error[] = [];
    for (const mode of ['streams', 'pubsub'] as const) {
      const pubsub = createRedisPubSub<ContractEvents>({ url, keyPrefix: prefix, mode, onError: (error) => errors.push(error) });
      const sub = pubsub.subscribe(`t-${nanoid(6)}`, { signal: new AbortController().signal });
      await sub.ready;
      // Attach the expectation first: the rejection may land before CLIENT KILL's own reply.
      const failed = expect(take(sub, 1)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      const suffix = mode === 'streams' ? 'reader' : 'sub';
      await admin.sendCommand(['CLIENT', 'KILL', 'ID', await clientId(`${pubsub.connectionName}-${suffix}`)]);
      await failed;
      expect(pubsub.subscriberCount()).toBe(0);
      // node-redis reconnects by itself; a new subscription (a client's retry) works again.
      const topic = `t-${nanoid(6)}`;
      const again = pubsub.subscribe(topic, { signal: new AbortController().signal });
      await again.ready;
      const next = take(again, 1);
      await pubsub.publish(topic, event(5));
      expect((await next).map((e) => e.data.n)).toEqual([5]);
      await pubsub.close();
    }
    expect(errors.length).toBeGreaterThan(0);
  });

  async function clientId(name: string): Promise<string> {
    const list = await admin.sendCommand<string>(['CLIENT', 'LIST']);
    const line = list.split('\n').find((each) => each.includes(`name=${name} `));
    const id = line?.match(/^id=(\d+)/)?.[1];
    if (!id) throw new Error(`no client named ${name}`);
    return id;
  }
});

describe('redis adapter without a reachable server', () => {
  it.each(['streams', 'pubsub'] as const)('%s: publish and subscribe fail fast with SERVICE_UNAVAILABLE and errors reach onError', async (mode) => {
    const errors: Error[] = [];
    const pubsub = createRedisPubSub<ContractEvents>({
      url: 'redis://127.0.0.1:1',
      mode,
      onError: (error) => errors.push(error),
      connection: { socket: { reconnectStrategy: false } },
    });
    await expect(pubsub.publish('t', event(1))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    const sub = pubsub.subscribe('t', { signal: new AbortController().signal });
    await expect(sub.ready).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await expect(take(sub, 1)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(errors.length).toBeGreaterThan(0);
    expect(pubsub.subscriberCount()).toBe(0);
    await pubsub.close();
  });
});
