import type { DuplexClient, DuplexError } from '@duplex/client';
import type { PubSub } from '@duplex/pubsub';
import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { describe, expectTypeOf, it } from 'vitest';
import type { TodoRouter } from '../../test/fixtures.js';
import type { LiveTodoRouter } from '../../test/live-fixtures.js';
import { createQueryUtils } from '../create-query-utils.js';
import type { LiveInvalidation } from '../live-message.js';
import { createLiveQueries, type LiveMessage } from '../server/index.js';
import type { SubscriptionStatus } from '../subscription-observer.js';
import { watchLiveQueries } from '../watch-live-queries.js';
import { useSubscription } from './use-subscription.js';

declare const client: DuplexClient<TodoRouter>;
const duplex = createQueryUtils<TodoRouter>(client);
declare const liveClient: DuplexClient<LiveTodoRouter>;
declare const pubsub: PubSub<{ 'duplex.live': LiveMessage; [room: `room:${string}`]: string }>;
type Todo = { id: number; text: string; done: boolean };

describe('with @tanstack/react-query', () => {
  it('infers data and error inline in the hooks', () => {
    const todos = useQuery(duplex.todo.list.queryOptions());
    expectTypeOf(todos.data).toEqualTypeOf<Todo[] | undefined>();
    expectTypeOf(todos.error).toEqualTypeOf<DuplexError | null>();
    expectTypeOf(useQuery(duplex.ticks.streamedOptions({ from: 1 })).data).toEqualTypeOf<number[] | undefined>();
    expectTypeOf(useQuery(duplex.todo.list.queryOptions(undefined, { select: (list) => list.length })).data).toEqualTypeOf<number | undefined>();
    const pages = useInfiniteQuery(duplex.todo.page.infiniteQueryOptions({ size: 2 }, { initialPageParam: null, getNextPageParam: (last) => last.next }));
    expectTypeOf(pages.data?.pages).toEqualTypeOf<Array<{ items: number[]; next: number | null }> | undefined>();
    const add = useMutation(duplex.todo.add.mutationOptions());
    expectTypeOf(add.mutate).parameter(0).toEqualTypeOf<{ text: string }>();
    expectTypeOf(add.data).toEqualTypeOf<Todo | undefined>();
  });

  it('types useSubscription from the procedure', () => {
    const result = useSubscription(duplex.ticks.subscriptionOptions({ from: 1 }));
    expectTypeOf(result.data).toEqualTypeOf<number | undefined>();
    expectTypeOf(result.error).toEqualTypeOf<DuplexError | null>();
    expectTypeOf(result.status).toEqualTypeOf<SubscriptionStatus>();
  });
});

describe('live queries', () => {
  it('adds a typed ~live stream the client and watchLiveQueries accept', () => {
    expectTypeOf(createQueryUtils<LiveTodoRouter>(liveClient)['~live'].subscriptionOptions().queryKey).not.toBeNever();
    expectTypeOf(watchLiveQueries).parameter(0).toExtend<object>();
    watchLiveQueries(liveClient, null as never);
    // @ts-expect-error a router without live queries has no stream to watch
    watchLiveQueries(client, null as never);
    useSubscription(createQueryUtils<LiveTodoRouter>(liveClient)['~live'].subscriptionOptions(undefined, { onData: (event) => expectTypeOf(event).toEqualTypeOf<LiveInvalidation>() }));
  });

  it('takes a pub/sub whose events include the live channel among others', () => {
    createLiveQueries({ pubsub });
  });

  it('types invalidations narrowed by input per topic', () => {
    const untyped = createLiveQueries({ pubsub });
    void untyped.invalidate(['any', 'topic'], { input: { anything: 1 } });
    const live = createLiveQueries<{ todos: { listId: number; done: boolean }; settings: undefined }>({ pubsub });
    void live.invalidate('todos', { input: { listId: 1 } });
    void live.invalidate('todos');
    void live.invalidate('settings');
    expectTypeOf(live.invalidate<'todos'>).parameter(1).toEqualTypeOf<{ input?: { listId?: number; done?: boolean } } | undefined>();
    // @ts-expect-error listId is a number
    void live.invalidate('todos', { input: { listId: '1' } });
    // @ts-expect-error settings are never narrowed by input
    void live.invalidate('settings', { input: { listId: 1 } });
    // @ts-expect-error not a declared topic
    void live.invalidate('nope');
    // @ts-expect-error not a declared topic
    live.query(['nope'], null as never);
  });
});
