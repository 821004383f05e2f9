import { createMemoryPubSub } from '@duplex/pubsub';
import { createRedisPubSub } from '@duplex/pubsub/redis';
import { findRedis, skipUnless, startProxy, startServer, waitForState } from '@duplex/test-utils';
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { nanoid } from 'nanoid';
import { createClient as createRedisClient } from 'redis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createQueryUtils, type LiveInvalidation, watchLiveQueries } from '../src/index.js';
import type { LiveMessage } from '../src/server/index.js';
import { createLiveTodoApi, type LiveTodoRouter } from './live-fixtures.js';

type LiveEvents = { 'duplex.live': LiveMessage };

describe('live queries', () => {
  it('refetches a watched query on every client when a mutation invalidates its topic', async () => {
    const pubsub = createMemoryPubSub<LiveEvents>({ replay: 100 });
    const api = createLiveTodoApi(pubsub);
    await using srv = await startServer(api.router);
    const alice = srv.client<LiveTodoRouter>();
    const bob = srv.client<LiveTodoRouter>();
    const queryClient = new QueryClient();
    const duplex = createQueryUtils<LiveTodoRouter>(alice);
    const events: LiveInvalidation[] = [];
    const stop = watchLiveQueries(alice, queryClient, { onInvalidate: (event) => events.push(event) });
    const observer = new QueryObserver(queryClient, duplex.todo.list.queryOptions());
    const off = observer.subscribe(() => {});
    await queryClient.fetchQuery(duplex.todo.count.queryOptions());
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual([]));
    await vi.waitFor(() => expect(pubsub.subscriberCount('duplex.live')).toBe(1));

    expect(await bob.todo.add.mutate({ text: 'milk' })).toBe(1);
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual(['milk']));
    expect(events).toEqual([{ topics: ['todos'], paths: ['todo.list'] }]);
    // A query that declared no topic is left alone.
    expect(queryClient.getQueryState(duplex.todo.count.queryKey())?.isInvalidated).toBe(false);
    expect(api.calls.list).toBe(2);
    off();
    stop();
    queryClient.clear();
    await vi.waitFor(() => expect(pubsub.subscriberCount('duplex.live')).toBe(0));
    await pubsub.close();
  });

  it('replays what was invalidated while the client was away', async () => {
    const pubsub = createMemoryPubSub<LiveEvents>({ replay: 100 });
    const api = createLiveTodoApi(pubsub);
    await using srv = await startServer(api.router);
    await using proxy = await startProxy(srv.port);
    const alice = srv.client<LiveTodoRouter>({ url: proxy.url, reconnect: { minDelayMs: 1, maxDelayMs: 5 } });
    const bob = srv.client<LiveTodoRouter>();
    const queryClient = new QueryClient();
    const duplex = createQueryUtils<LiveTodoRouter>(alice);
    const stop = watchLiveQueries(alice, queryClient);
    const observer = new QueryObserver(queryClient, duplex.todo.list.queryOptions());
    const off = observer.subscribe(() => {});
    await vi.waitFor(() => expect(pubsub.subscriberCount('duplex.live')).toBe(1));
    await bob.todo.add.mutate({ text: 'one' });
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual(['one']));

    proxy.cut();
    await waitForState(alice, 'reconnecting');
    await bob.todo.add.mutate({ text: 'two' });
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual(['one', 'two']));
    off();
    stop();
    queryClient.clear();
    await pubsub.close();
  });

  it('refetches everything after a reconnect when no invalidation was seen yet (the resume point is unknown)', async () => {
    const pubsub = createMemoryPubSub<LiveEvents>({ replay: 100 });
    const api = createLiveTodoApi(pubsub);
    await using srv = await startServer(api.router);
    await using proxy = await startProxy(srv.port);
    const alice = srv.client<LiveTodoRouter>({ url: proxy.url, reconnect: { minDelayMs: 1, maxDelayMs: 5 } });
    const queryClient = new QueryClient();
    const duplex = createQueryUtils<LiveTodoRouter>(alice);
    const stop = watchLiveQueries(alice, queryClient);
    const observer = new QueryObserver(queryClient, duplex.todo.list.queryOptions());
    const off = observer.subscribe(() => {});
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual([]));
    proxy.cut();
    await waitForState(alice, 'reconnecting');
    api.todos.push('written while away, published before the stream resumed');
    await pubsub.publish('duplex.live', { topics: ['todos'] });
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toHaveLength(1));
    off();
    stop();
    queryClient.clear();
    await pubsub.close();
  });
});

const redis = await findRedis();
const redisUrl = redis.url;
const prefix = `duplex-live-${nanoid(8)}:`;

describe('live queries across servers over Redis', skipUnless(redis.missing), () => {
  afterAll(async () => {
    const admin = createRedisClient({ url: redisUrl });
    await admin.connect();
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length > 0) await admin.del(keys);
    admin.destroy();
  });

  it('a mutation on one server refetches the query of a client on another', async () => {
    const todos: string[] = [];
    const pubsubA = createRedisPubSub<LiveEvents>({ url: redisUrl, keyPrefix: prefix });
    const pubsubB = createRedisPubSub<LiveEvents>({ url: redisUrl, keyPrefix: prefix });
    await using srvA = await startServer(createLiveTodoApi(pubsubA, todos).router);
    await using srvB = await startServer(createLiveTodoApi(pubsubB, todos).router);
    const alice = srvA.client<LiveTodoRouter>();
    const bob = srvB.client<LiveTodoRouter>();
    const queryClient = new QueryClient();
    const duplex = createQueryUtils<LiveTodoRouter>(alice);
    const stop = watchLiveQueries(alice, queryClient);
    const observer = new QueryObserver(queryClient, duplex.todo.list.queryOptions());
    const off = observer.subscribe(() => {});
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual([]));
    await vi.waitFor(() => expect(pubsubA.subscriberCount('duplex.live')).toBe(1));
    await bob.todo.add.mutate({ text: 'from B' });
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual(['from B']));
    off();
    stop();
    queryClient.clear();
    await srvA[Symbol.asyncDispose]();
    await Promise.all([pubsubA.close(), pubsubB.close()]);
  });
});
