import { createMemoryPubSub } from '@duplex/pubsub';
import { initDuplex } from '@duplex/server';
import { startProxy, startServer, waitForState } from '@duplex/test-utils';
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createQueryUtils, SubscriptionObserver, type SubscriptionStatus } from '../src/index.js';

function createFeed() {
  const d = initDuplex.create();
  const pubsub = createMemoryPubSub<{ [room: `room:${string}`]: string }>({ replay: 100 });
  const router = d.router({
    onPost: d.procedure.input(z.object({ room: z.string() })).subscription(async function* ({ input, signal, lastEventId }) {
      yield* pubsub.subscribeTracked(`room:${input.room}`, { signal, lastEventId });
    }),
  });
  return { router, pubsub };
}

type FeedRouter = ReturnType<typeof createFeed>['router'];

describe('subscriptions across a reconnect', () => {
  it('reports connecting, live, reconnecting and resumed, and delivers each tracked event once', async () => {
    const { router, pubsub } = createFeed();
    await using srv = await startServer(router);
    await using proxy = await startProxy(srv.port);
    const client = srv.client<FeedRouter>({ url: proxy.url, reconnect: { minDelayMs: 1, maxDelayMs: 5 } });
    const duplex = createQueryUtils<FeedRouter>(client);
    const seen: string[] = [];
    const observer = new SubscriptionObserver(duplex.onPost.subscriptionOptions({ room: 'a' }, { onData: (post) => seen.push(post) }));
    const statuses: SubscriptionStatus[] = [];
    const stop = observer.subscribe(() => {
      const { status } = observer.getSnapshot();
      if (statuses.at(-1) !== status) statuses.push(status);
    });
    expect(observer.getSnapshot().status).toBe('connecting');
    await waitForState(client, 'open');
    await vi.waitFor(() => expect(pubsub.subscriberCount('room:a')).toBe(1));
    await pubsub.publish('room:a', 'one');
    await vi.waitFor(() => expect(observer.getSnapshot().data).toBe('one'));

    proxy.cut();
    await waitForState(client, 'reconnecting');
    // Published while the client is away: replayed from the last event id on resume.
    await pubsub.publish('room:a', 'two');
    await waitForState(client, 'open');
    await pubsub.publish('room:a', 'three');
    await vi.waitFor(() => expect(seen).toEqual(['one', 'two', 'three']));
    expect(statuses).toEqual(['live', 'reconnecting', 'resumed']);
    expect(observer.getSnapshot()).toMatchObject({ data: 'three', status: 'resumed', error: null });
    stop();
    expect(observer.getSnapshot().status).toBe('idle');
    await vi.waitFor(() => expect(srv.server.stats().subscriptions).toBe(0));
    await pubsub.close();
  });

  it('accumulates a streamed query across a reconnect with no duplicate', async () => {
    const { router, pubsub } = createFeed();
    await using srv = await startServer(router);
    await using proxy = await startProxy(srv.port);
    const client = srv.client<FeedRouter>({ url: proxy.url, reconnect: { minDelayMs: 1, maxDelayMs: 5 } });
    const duplex = createQueryUtils<FeedRouter>(client);
    const queryClient = new QueryClient();
    const observer = new QueryObserver(queryClient, duplex.onPost.streamedOptions({ room: 'b' }));
    const stop = observer.subscribe(() => {});
    await vi.waitFor(() => expect(pubsub.subscriberCount('room:b')).toBe(1));
    await pubsub.publish('room:b', 'one');
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual(['one']));
    proxy.cut();
    await waitForState(client, 'reconnecting');
    await pubsub.publish('room:b', 'two');
    await waitForState(client, 'open');
    await pubsub.publish('room:b', 'three');
    await vi.waitFor(() => expect(observer.getCurrentResult().data).toEqual(['one', 'two', 'three']));
    stop();
    queryClient.clear();
    await vi.waitFor(() => expect(srv.server.stats().subscriptions).toBe(0));
    await pubsub.close();
  });
});
