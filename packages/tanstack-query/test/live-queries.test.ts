import { createMemoryPubSub, type MemoryPubSub, type PubSub } from '@duplex/pubsub';
import { createCaller, initDuplex } from '@duplex/server';
import { createRedisPubSub } from '@duplex/pubsub/redis';
import { deferred, findRedis, skipUnless, startProxy, startServer, waitForState } from '@duplex/test-utils';
import { dehydrate, hydrate, QueryClient, QueryObserver } from '@tanstack/query-core';
import { nanoid } from 'nanoid';
import { createClient as createRedisClient } from 'redis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createQueryUtils, type LiveInvalidation, watchLiveQueries } from '../src/index.js';
import { createLiveQueries, type LiveMessage, type LivePubSub } from '../src/server/index.js';
import { createLiveTodoApi, type LiveTodoRouter } from './live-fixtures.js';

type LiveEvents = { 'duplex.live': LiveMessage };

/** What a test watches: its observers' unsubscribes, the live watch and the cache it feeds. */
interface Watch {
  offs: Array<() => void>;
  stop: () => void;
  queryClient: QueryClient;
}

/** Ends a test's watch; with `pubsub`, waits until the server has let go of it, then closes it. */
async function endWatch({ offs, stop, queryClient }: Watch, pubsub?: MemoryPubSub<LiveEvents>): Promise<void> {
  for (const off of offs) off();
  stop();
  queryClient.clear();
  if (!pubsub) return;
  await vi.waitFor(() => expect(pubsub.subscriberCount('duplex.live')).toBe(0));
  await pubsub.close();
}

/**
 * A pub/sub whose server-side subscriptions wait for `open()`: the window between a client's first
 * read and its `~live` stream being live, held open on purpose. `subscribing` resolves once the
 * server asked to subscribe.
 */
function gatedPubSub(pubsub: PubSub<LiveEvents>) {
  const gate = deferred();
  const asked = deferred();
  const gated: LivePubSub = {
    publish: (topic, payload) => pubsub.publish(topic, payload),
    subscribe(topic, options) {
      asked.resolve();
      const inner = gate.promise.then(() => pubsub.subscribe(topic, options));
      return {
        ready: inner.then((subscription) => subscription.ready),
        [Symbol.asyncIterator]: () => {
          const iterator = inner.then((subscription) => subscription[Symbol.asyncIterator]());
          return {
            next: () => iterator.then((it) => it.next()),
            return: () => iterator.then((it) => it.return?.() ?? { value: undefined, done: true as const }),
          };
        },
      };
    },
  };
  return { gated, subscribing: asked.promise, open: () => gate.resolve() };
}

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
    // Queries first fetched once the stream is live are not refetched by its `established` message.
    await vi.waitFor(() => expect(events).toEqual([{ topics: [], paths: ['todo.list'], established: true }]));
    const observer = new QueryObserver(queryClient, duplex.todo.list.queryOptions());
    const off = observer.subscribe(() => {});
    await queryClient.fetchQuery(duplex.todo.count.queryOptions());
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual([]));
    expect(pubsub.subscriberCount('duplex.live')).toBe(1);

    expect(await bob.todo.add.mutate({ text: 'milk' })).toBe(1);
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual(['milk']));
    expect(events.slice(1)).toEqual([{ topics: ['todos'], paths: ['todo.list'] }]);
    // A query that declared no topic is left alone.
    expect(queryClient.getQueryState(duplex.todo.count.queryKey())?.isInvalidated).toBe(false);
    expect(api.calls.list).toBe(2);
    await endWatch({ offs: [off], stop, queryClient }, pubsub);
  });

  it('loses no invalidation published between a first fetch and the moment the stream is live', async () => {
    const pubsub = createMemoryPubSub<LiveEvents>({ replay: 100 });
    const { gated, subscribing, open } = gatedPubSub(pubsub);
    const api = createLiveTodoApi(gated);
    await using srv = await startServer(api.router);
    const alice = srv.client<LiveTodoRouter>();
    const queryClient = new QueryClient();
    const duplex = createQueryUtils<LiveTodoRouter>(alice);
    const events: LiveInvalidation[] = [];
    const stop = watchLiveQueries(alice, queryClient, { onInvalidate: (event) => events.push(event) });
    const observer = new QueryObserver(queryClient, duplex.todo.list.queryOptions());
    const off = observer.subscribe(() => {});
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual([]));
    await subscribing;

    // Written and published after the first fetch read the list, before the stream is live.
    api.todos.push('in the window');
    await api.live.invalidate('todos');
    open();
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual(['in the window']));
    expect(events).toEqual([{ topics: [], paths: ['todo.list'], established: true }]);
    expect(api.calls.list).toBe(2);
    await endWatch({ offs: [off], stop, queryClient }, pubsub);
  });

  it('loses no invalidation published between a server render and the stream: hydrated live entries are refetched once', async () => {
    const pubsub = createMemoryPubSub<LiveEvents>({ replay: 100 });
    const { gated, subscribing, open } = gatedPubSub(pubsub);
    const api = createLiveTodoApi(gated, ['milk']);
    // Rendered on the server, through a caller; then a write is published before the browser connects.
    const serverQueries = new QueryClient();
    const onServer = createQueryUtils<LiveTodoRouter>(createCaller(api.router, {}));
    await serverQueries.prefetchQuery(onServer.todo.list.queryOptions());
    await serverQueries.prefetchQuery(onServer.todo.count.queryOptions());
    const state = JSON.parse(JSON.stringify(dehydrate(serverQueries)));
    api.todos.push('after the render');
    await api.live.invalidate('todos');

    await using srv = await startServer(api.router);
    const alice = srv.client<LiveTodoRouter>();
    const queryClient = new QueryClient();
    hydrate(queryClient, state);
    const duplex = createQueryUtils<LiveTodoRouter>(alice);
    const stop = watchLiveQueries(alice, queryClient);
    // Fresh for a minute: without an invalidation nothing would refetch these.
    const list = new QueryObserver(queryClient, duplex.todo.list.queryOptions(undefined, { staleTime: 60_000 }));
    const count = new QueryObserver(queryClient, duplex.todo.count.queryOptions(undefined, { staleTime: 60_000 }));
    const offs = [list.subscribe(() => {}), count.subscribe(() => {})];
    expect(list.getCurrentResult().data).toEqual(['milk']);
    await subscribing;
    open();
    await vi.waitFor(() => expect(list.getCurrentResult().data).toEqual(['milk', 'after the render']));
    // Only live queries are refetched: `count` declared no topic.
    expect(count.getCurrentResult().data).toBe(1);
    expect(queryClient.getQueryState(duplex.todo.count.queryKey())?.isInvalidated).toBe(false);
    await endWatch({ offs, stop, queryClient }, pubsub);
  });

  it('narrows an invalidation to the cached entries of one input', async () => {
    const pubsub = createMemoryPubSub<LiveEvents>({ replay: 100 });
    const d = initDuplex.create();
    const live = createLiveQueries<{ items: { listId: number } }>({ pubsub });
    const items = new Map<number, string[]>([[1, []], [2, []]]);
    const reads: number[] = [];
    const router = live.attach(
      d.router({
        items: live.query(
          ['items'],
          d.procedure.input(z.object({ listId: z.number(), done: z.boolean().optional() }).optional()).query(({ input }) => {
            reads.push(input?.listId ?? 0);
            return input ? [...(items.get(input.listId) ?? [])] : [...items.values()].flat();
          }),
        ),
        add: d.procedure.input(z.object({ listId: z.number(), text: z.string() })).mutation(async ({ input }) => {
          items.get(input.listId)?.push(input.text);
          await live.invalidate('items', { input: { listId: input.listId } });
        }),
      }),
    );
    await using srv = await startServer(router);
    const alice = srv.client<typeof router>();
    const queryClient = new QueryClient();
    const duplex = createQueryUtils<typeof router>(alice);
    const events: LiveInvalidation[] = [];
    const stop = watchLiveQueries(alice, queryClient, { onInvalidate: (event) => events.push(event) });
    await vi.waitFor(() => expect(events).toHaveLength(1));
    const observers = [{ listId: 1, done: false }, { listId: 2 }, undefined].map((input) => new QueryObserver(queryClient, duplex.items.queryOptions(input)));
    const offs = observers.map((observer) => observer.subscribe(() => {}));
    await vi.waitFor(() => expect(observers.map((observer) => observer.getCurrentResult().data)).toEqual([[], [], []]));
    expect(reads.sort()).toEqual([0, 1, 2]);

    await alice.add.mutate({ listId: 1, text: 'one' });
    await vi.waitFor(() => expect(observers.map((observer) => observer.getCurrentResult().data)).toEqual([['one'], [], ['one']]));
    expect(events[1]).toEqual({ topics: ['items'], paths: ['items'], input: { listId: 1 } });
    // List 2 was neither invalidated nor read again; list 1 (partial match) and the input-less call were.
    expect(queryClient.getQueryState(duplex.items.queryKey({ listId: 2 }))?.isInvalidated).toBe(false);
    expect(reads.sort()).toEqual([0, 0, 1, 1, 2]);
    await endWatch({ offs, stop, queryClient });
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
    await endWatch({ offs: [off], stop, queryClient });
    await pubsub.close();
  });

  it('refetches the live queries once the stream is live again after a reconnect before any invalidation (no resume point)', async () => {
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
    await endWatch({ offs: [off], stop, queryClient });
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
    await endWatch({ offs: [off], stop, queryClient });
    await srvA[Symbol.asyncDispose]();
    await Promise.all([pubsubA.close(), pubsubB.close()]);
  });
});
