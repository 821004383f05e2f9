import { createMemoryPubSub } from '@duplex/pubsub';
import { createCaller } from '@duplex/server';
import { startServer } from '@duplex/test-utils';
import { dehydrate, hydrate, QueryClient, QueryObserver } from '@tanstack/query-core';
import { HydrationBoundary, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createQueryUtils, type DuplexQueryUtils } from '../src/index.js';
import { useSubscription } from '../src/react/index.js';
import type { LiveMessage } from '../src/server/index.js';
import { createLiveTodoApi, type LiveTodoRouter } from './live-fixtures.js';

function TodoList({ duplex }: { duplex: DuplexQueryUtils<LiveTodoRouter> }) {
  const todos = useQuery(duplex.todo.list.queryOptions(undefined, { staleTime: 30_000 }));
  const live = useSubscription(duplex['~live'].subscriptionOptions());
  return createElement(
    'ul',
    { 'data-live': live.status },
    (todos.data ?? []).map((text) => createElement('li', { key: text }, text)),
  );
}

describe('server rendering', () => {
  it('prefetches through a server-side caller, renders, and hydrates on the client without a refetch', async () => {
    const api = createLiveTodoApi(createMemoryPubSub<{ 'duplex.live': LiveMessage }>(), ['milk', 'eggs']);

    // On the server: the same utils over a caller, so the keys match the browser's.
    const serverQueries = new QueryClient();
    const onServer = createQueryUtils<LiveTodoRouter>(createCaller(api.router, {}));
    await serverQueries.prefetchQuery(onServer.todo.list.queryOptions());
    const html = renderToString(
      createElement(QueryClientProvider, { client: serverQueries }, createElement(TodoList, { duplex: onServer })),
    );
    expect(html).toBe('<ul data-live="idle"><li>milk</li><li>eggs</li></ul>');
    const state = JSON.parse(JSON.stringify(dehydrate(serverQueries)));
    expect(api.calls.list).toBe(1);

    // In the browser: hydrate, then observe with a client over a socket.
    await using srv = await startServer(api.router);
    const client = srv.client<LiveTodoRouter>();
    const browserQueries = new QueryClient();
    hydrate(browserQueries, state);
    const duplex = createQueryUtils<LiveTodoRouter>(client);
    const observer = new QueryObserver(browserQueries, duplex.todo.list.queryOptions(undefined, { staleTime: 30_000 }));
    const off = observer.subscribe(() => {});
    expect(observer.getCurrentResult()).toMatchObject({ data: ['milk', 'eggs'], fetchStatus: 'idle', status: 'success' });
    // The HydrationBoundary path renders the same markup from the dehydrated state.
    const hydratedHtml = renderToString(
      createElement(
        QueryClientProvider,
        { client: new QueryClient() },
        createElement(HydrationBoundary, { state }, createElement(TodoList, { duplex })),
      ),
    );
    expect(hydratedHtml).toBe(html);
    off();
    browserQueries.clear();
    await client.todo.count.query();
    expect(api.calls.list).toBe(1);
  });
});
