import { createClient } from '@duplex/client';
import { createQueryUtils, watchLiveQueries } from '@duplex/tanstack-query';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createRoot } from 'react-dom/client';
import type { TodoRouter } from '../server/router.js';
import { App } from './app.js';

const client = createClient<TodoRouter>({ url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc` });
const queryClient = new QueryClient();
const duplex = createQueryUtils<TodoRouter>(client);
// `?live=0` leaves live queries off (the browser test uses it to see the mutation's own invalidation).
if (new URLSearchParams(location.search).get('live') !== '0') watchLiveQueries(client, queryClient);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <QueryClientProvider client={queryClient}>
    <App duplex={duplex} />
  </QueryClientProvider>,
);
