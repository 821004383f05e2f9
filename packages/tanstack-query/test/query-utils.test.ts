import { DuplexError } from '@duplex/client';
import { startServer } from '@duplex/test-utils';
import { InfiniteQueryObserver, MutationObserver, QueryClient } from '@tanstack/query-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createQueryUtils } from '../src/index.js';
import { createTodoApi, type TodoRouter } from './fixtures.js';

describe('createQueryUtils over a real socket', () => {
  let queryClient: QueryClient;
  afterEach(() => queryClient.clear());

  async function setup() {
    const api = createTodoApi();
    const srv = await startServer(api.router);
    const client = srv.client<TodoRouter>();
    queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    return { api, srv, client, duplex: createQueryUtils<TodoRouter>(client) };
  }

  it('fetches a query by its options and caches it under a path-shaped key', async () => {
    const { api, srv, duplex } = await setup();
    await using _srv = srv;
    const options = duplex.todo.list.queryOptions({ done: false }, { staleTime: 60_000 });
    expect(options.staleTime).toBe(60_000);
    expect(options.queryKey).toEqual([['todo', 'list'], { input: { done: false }, type: 'query' }]);
    const todos = await queryClient.fetchQuery(options);
    expect(todos).toEqual([{ id: 1, text: 'first', done: false }]);
    expect(queryClient.getQueryData(duplex.todo.list.queryKey({ done: false }))).toEqual(todos);
    await queryClient.fetchQuery(options);
    expect(api.calls.list).toBe(1);
  });

  it('leaves out an optional input', async () => {
    const { srv, duplex } = await setup();
    await using _srv = srv;
    const options = duplex.todo.list.queryOptions();
    expect(options.queryKey).toEqual([['todo', 'list'], { type: 'query' }]);
    expect(await queryClient.fetchQuery(options)).toHaveLength(1);
  });

  it('rejects with the DuplexError of the server', async () => {
    const { srv, duplex } = await setup();
    await using _srv = srv;
    const error = await queryClient.fetchQuery(duplex.todo.byId.queryOptions({ id: 42 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplexError);
    expect((error as DuplexError).code).toBe('NOT_FOUND');
  });

  it('runs a mutation and invalidates by path and router keys', async () => {
    const { api, srv, duplex } = await setup();
    await using _srv = srv;
    await queryClient.fetchQuery(duplex.todo.list.queryOptions({ done: false }));
    await queryClient.fetchQuery(duplex.todo.byId.queryOptions({ id: 1 }));
    const observer = new MutationObserver(
      queryClient,
      duplex.todo.add.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: duplex.todo.list.pathKey() }) }),
    );
    expect(observer.options.mutationKey).toEqual([['todo', 'add']]);
    const added = await observer.mutate({ text: 'second' });
    expect(added).toEqual({ id: 2, text: 'second', done: false });
    expect(queryClient.getQueryState(duplex.todo.list.queryKey({ done: false }))?.isInvalidated).toBe(true);
    expect(queryClient.getQueryState(duplex.todo.byId.queryKey({ id: 1 }))?.isInvalidated).toBe(false);
    await queryClient.invalidateQueries(duplex.todo.pathFilter());
    expect(queryClient.getQueryState(duplex.todo.byId.queryKey({ id: 1 }))?.isInvalidated).toBe(true);
    expect(queryClient.getQueryCache().findAll(duplex.pathFilter())).toHaveLength(2);
    expect(queryClient.getQueryCache().findAll(duplex.todo.list.queryFilter({ done: true }))).toHaveLength(0);
    expect(api.todos).toHaveLength(2);
  });

  it('pages an infinite query through the cursor input', async () => {
    const { srv, duplex } = await setup();
    await using _srv = srv;
    const observer = new InfiniteQueryObserver(
      queryClient,
      duplex.todo.page.infiniteQueryOptions({ size: 4 }, { initialPageParam: null, getNextPageParam: (last) => last.next }),
    );
    const result = await observer.fetchNextPage();
    expect(result.data?.pages).toEqual([{ items: [0, 1, 2, 3], next: 4 }]);
    const more = await observer.fetchNextPage();
    expect(more.data?.pages.map((page) => page.items)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(more.hasNextPage).toBe(false);
    expect(observer.options.queryKey).toEqual([['todo', 'page'], { input: { size: 4 }, type: 'infinite' }]);
  });

  it("cancels the call on the server when TanStack aborts the query's signal", async () => {
    const { api, srv, duplex } = await setup();
    await using _srv = srv;
    const options = duplex.slow.queryOptions();
    const pending = queryClient.fetchQuery(options).catch((e: unknown) => e);
    await api.slowStarted;
    await queryClient.cancelQueries({ queryKey: options.queryKey });
    await pending;
    await vi.waitFor(() => expect(api.aborted).toEqual(['slow']));
  });

  it('streams subscription events into query data', async () => {
    const { srv, duplex } = await setup();
    await using _srv = srv;
    const options = duplex.ticks.streamedOptions({ from: 5 });
    expect(options.queryKey).toEqual([['ticks'], { input: { from: 5 }, type: 'stream' }]);
    expect(await queryClient.fetchQuery(options)).toEqual([5, 6, 7]);
    const summed = duplex.ticks.streamedOptions({ from: 1 }, { reducer: (sum: number, n) => sum + n, initialValue: 0 });
    expect(await queryClient.fetchQuery(summed)).toBe(6);
  });
});
