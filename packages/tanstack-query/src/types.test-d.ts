import type { DuplexClient, DuplexError } from '@duplex/client';
import type { InfiniteData, QueryClient } from '@tanstack/query-core';
import { describe, expectTypeOf, it } from 'vitest';
import type { TodoRouter } from '../test/fixtures.js';
import type { LiveTodoRouter } from '../test/live-fixtures.js';
import { createQueryUtils } from './create-query-utils.js';
import type { DuplexMutationKey, DuplexQueryKey } from './query-key.js';
import type { QuerySource } from './query-source.js';

declare const client: DuplexClient<TodoRouter>;
declare const queryClient: QueryClient;
declare const otherClient: DuplexClient<LiveTodoRouter>;
const duplex = createQueryUtils<TodoRouter>(client);
type Todo = { id: number; text: string; done: boolean };

describe('createQueryUtils types', () => {
  it('infers query data, error and input from the router', () => {
    const options = duplex.todo.byId.queryOptions({ id: 1 });
    expectTypeOf(queryClient.fetchQuery(options)).resolves.toEqualTypeOf<Todo>();
    expectTypeOf(queryClient.getQueryData(options.queryKey)).toEqualTypeOf<Todo | undefined>();
    expectTypeOf(queryClient.getQueryState(options.queryKey)?.error).toEqualTypeOf<DuplexError | null | undefined>();
    // @ts-expect-error the input is { id: number }
    duplex.todo.byId.queryOptions({ id: 'x' });
    // @ts-expect-error the input is required
    duplex.todo.byId.queryOptions();
    // @ts-expect-error no such procedure
    duplex.todo.nope.queryOptions();
  });

  it('lets an optional input be left out and select change the data', () => {
    duplex.todo.list.queryOptions();
    const counted = duplex.todo.list.queryOptions(undefined, { select: (todos) => todos.length });
    expectTypeOf(counted.select).toEqualTypeOf<((data: Todo[]) => number) | undefined>();
  });

  it('offers infinite options only where the input has a cursor', () => {
    const options = duplex.todo.page.infiniteQueryOptions({ size: 2 }, { initialPageParam: null, getNextPageParam: (last) => last.next });
    expectTypeOf(queryClient.getQueryData(options.queryKey)).toEqualTypeOf<
      InfiniteData<{ items: number[]; next: number | null }, number | null> | undefined
    >();
    // @ts-expect-error byId's input has no cursor, so it has no infinite query
    duplex.todo.byId.infiniteQueryOptions({ id: 1 }, { initialPageParam: null, getNextPageParam: () => null });
  });

  it('types mutation options and keys', () => {
    const options = duplex.todo.add.mutationOptions({ onSuccess: (todo, input) => expectTypeOf<[Todo, { text: string }]>([todo, input]) });
    expectTypeOf(options.mutationFn).toEqualTypeOf<(input: { text: string }) => Promise<Todo>>();
    expectTypeOf(duplex.todo.add.mutationKey()).toEqualTypeOf<DuplexMutationKey>();
    expectTypeOf(duplex.todo.add).not.toHaveProperty('queryOptions');
    expectTypeOf(duplex.todo.pathKey()).toEqualTypeOf<DuplexQueryKey>();
    expectTypeOf(duplex.pathKey()).toEqualTypeOf<DuplexQueryKey>();
  });

  it('takes a client of the router, or any source of its shape, and nothing else', () => {
    // @ts-expect-error a client of another router
    createQueryUtils<TodoRouter>(otherClient);
    const caller = {} as QuerySource<TodoRouter['~types']['record']>;
    expectTypeOf(createQueryUtils<TodoRouter>(caller).todo.byId.queryKey({ id: 1 })).toExtend<DuplexQueryKey>();
    // @ts-expect-error a source missing a procedure
    createQueryUtils<TodoRouter>({ todo: caller.todo });
  });

  it('types subscription options and streamed data', () => {
    const streamed = duplex.ticks.streamedOptions({ from: 1 });
    expectTypeOf(queryClient.fetchQuery(streamed)).resolves.toEqualTypeOf<number[]>();
    const summed = duplex.ticks.streamedOptions({ from: 1 }, { reducer: (sum: number, n) => sum + n, initialValue: 0 });
    expectTypeOf(queryClient.fetchQuery(summed)).resolves.toEqualTypeOf<number>();
    const sub = duplex.ticks.subscriptionOptions({ from: 1 }, { onData: (n) => expectTypeOf(n).toEqualTypeOf<number>() });
    expectTypeOf(sub.queryKey).toExtend<DuplexQueryKey>();
  });
});
